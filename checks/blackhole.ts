// blackhole: since 6.12 the kernel disables active MPTCP for net.mptcp.blackhole_timeout seconds
// (doubling on repeats) after MPTCP SYNs were dropped while plain TCP SYNs got through.
// MPTcpExtBlackhole counts detections; MPCapableSYNTXDisabled counts SYNs sent without MP_CAPABLE then.
import type { Check } from './types.js';

export const blackholeCheck: Check = {
  id: 'blackhole',
  title: 'MPTCP blackhole detection',
  async run({ host }) {
    const [counters, timeout] = await Promise.all([host.mptcpCounters(), host.sysctl('net.mptcp.blackhole_timeout')]);
    if (!counters) return { status: 'skip', summary: 'no MPTcpExt counters in /proc/net/netstat', evidence: [] };
    const blackhole = counters.Blackhole;
    const disabled = counters.MPCapableSYNTXDisabled;
    if (blackhole === undefined && disabled === undefined) {
      return { status: 'skip', summary: 'this kernel has no blackhole detection (6.12+)', evidence: [] };
    }
    const evidence = [`MPTcpExtBlackhole = ${blackhole ?? 'absent'}`, `MPTcpExtMPCapableSYNTXDisabled = ${disabled ?? 'absent'}`];
    if (timeout !== undefined) evidence.push(`net.mptcp.blackhole_timeout = ${timeout} s${timeout === '0' ? ' (detection off)' : ''}`);
    if ((blackhole ?? 0) === 0 && (disabled ?? 0) === 0) {
      return { status: 'pass', summary: 'no MPTCP blackhole detected since the namespace started', evidence };
    }
    return {
      status: 'warn',
      summary:
        `active MPTCP was disabled after blackhole detection (${blackhole ?? 0} detection${blackhole === 1 ? '' : 's'}, ` +
        `${disabled ?? 0} SYNs sent as plain TCP)${timeout ? `; re-enabled after ${timeout} s, doubling on repeats` : ''}`,
      evidence,
      fix: {
        advice:
          'A path dropped MPTCP SYNs while plain TCP got through (a firewall or middlebox dropping unknown TCP options). ' +
          'Find it with mptcp-doctor probe; the counters are cumulative since the namespace started.',
        commands: [],
      },
    };
  },
};
