// blackhole: since 6.12 the kernel disables active MPTCP for net.mptcp.blackhole_timeout seconds
// (doubling on repeats) after MPTCP SYNs were dropped while plain TCP SYNs got through.
// MPTcpExtBlackhole counts detections; MPCapableSYNTXDrop counts connections whose MP_CAPABLE SYNs
// were dropped, so that the kernel retried them without the option (net.mptcp.
// syn_retrans_before_tcp_fallback); MPCapableSYNTXDisabled counts SYNs sent without MP_CAPABLE while
// active MPTCP was disabled.
import type { Check } from './types.js';

export const blackholeCheck: Check = {
  id: 'blackhole',
  title: 'MPTCP blackhole detection',
  async run({ host }) {
    const [counters, timeout] = await Promise.all([host.mptcpCounters(), host.sysctl('net.mptcp.blackhole_timeout')]);
    if (!counters) return { status: 'skip', summary: 'no MPTcpExt counters in /proc/net/netstat', evidence: [] };
    const blackhole = counters.Blackhole;
    const disabled = counters.MPCapableSYNTXDisabled;
    const dropped = counters.MPCapableSYNTXDrop ?? 0;
    if (blackhole === undefined && disabled === undefined) {
      return { status: 'skip', summary: 'this kernel has no blackhole detection (6.12+)', evidence: [] };
    }
    const evidence = [
      `MPTcpExtBlackhole = ${blackhole ?? 'absent'}`,
      `MPTcpExtMPCapableSYNTXDrop = ${counters.MPCapableSYNTXDrop ?? 'absent'}`,
      `MPTcpExtMPCapableSYNTXDisabled = ${disabled ?? 'absent'}`,
    ];
    if (timeout !== undefined) evidence.push(`net.mptcp.blackhole_timeout = ${timeout} s${timeout === '0' ? ' (detection off)' : ''}`);
    if ((blackhole ?? 0) === 0 && (disabled ?? 0) === 0 && dropped === 0) {
      return { status: 'pass', summary: 'no MPTCP blackhole detected since the namespace started', evidence };
    }
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    const parts = [
      ...((blackhole ?? 0) > 0 ? [plural(blackhole!, 'detection')] : []),
      ...(dropped > 0 ? [`${plural(dropped, 'connection')} retried without MP_CAPABLE after its SYNs were dropped`] : []),
      ...((disabled ?? 0) > 0 ? [`${plural(disabled!, 'SYN')} sent without MP_CAPABLE while disabled`] : []),
    ];
    const disabledNow = (blackhole ?? 0) > 0 || (disabled ?? 0) > 0;
    return {
      status: 'warn',
      summary:
        `${disabledNow ? 'active MPTCP was disabled after blackhole detection' : 'MP_CAPABLE SYNs were dropped on a path'} (${parts.join(', ')})` +
        `${disabledNow && timeout ? `; re-enabled after ${timeout} s, doubling on repeats` : ''}`,
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
