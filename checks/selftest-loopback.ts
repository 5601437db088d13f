// selftest.loopback: a real probe over loopback, our own FTP client against our own server (serve),
// both in this process, downloading and verifying data. If MPTCP does not hold even here, something on this host (a BPF program,
// a firewall rule stripping option 30 on lo) removes it. The exchange itself is context.loopback()
// (checks/loopback-probe.ts).
import type { Check } from './types.js';

/** Connection errors (and the probe's own time limit) that mean loopback itself is down or firewalled. */
const LOOPBACK_FAILURES = new Set(['ENETUNREACH', 'EADDRNOTAVAIL', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETDOWN', 'ETIMEDOUT', 'EACCES', 'EPERM', 'timeout']);

export const selftestLoopbackCheck: Check = {
  id: 'selftest.loopback',
  title: 'loopback self-test',
  async run({ loopback }) {
    let result;
    try {
      result = await loopback();
    } catch (error) {
      // Only a refused or unreachable connection on loopback is about the loopback: anything else
      // (the addon missing, a fault of ours) is this check failing to run, not advice about lo.
      if (!LOOPBACK_FAILURES.has((error as { code?: string }).code ?? '')) throw error;
      const message = error instanceof Error ? error.message : String(error);
      return {
        status: 'fail',
        summary: `loopback connection failed: ${message}`,
        evidence: [message],
        fix: { advice: 'The self-test needs the loopback interface up (and not firewalled).', commands: [['ip', 'link', 'set', 'lo', 'up']] },
      };
    }
    const evidence = [
      `${result.address}: ${result.bytes} bytes exchanged in ${result.elapsedMs} ms`,
      `client: ${result.client.state} (${result.client.method}), ${result.subflows} subflow${result.subflows === 1 ? '' : 's'}`,
      `server: ${result.server.state} (${result.server.method})`,
      ...(result.verdict ? [`probe verdict: ${result.verdict.status}${result.verdict.cause === 'none' ? '' : `, ${result.verdict.cause}`}`] : []),
    ];
    if (result.socket === 'tcp') {
      return { status: 'skip', summary: `no MPTCP socket to test with: ${result.reasonText ?? 'refused'}`, evidence };
    }
    const held = result.client.state === 'mptcp' && result.server.state === 'mptcp';
    if (held) {
      return { status: 'pass', summary: `MPTCP held on both ends of an FTP probe over ${result.address}`, evidence };
    }
    if (result.verdict?.cause === 'blackhole') {
      // Not something on loopback: active MPTCP is off for a while after a blackhole elsewhere.
      return {
        status: 'fail',
        summary: 'MPTCP did not hold over loopback because active MPTCP is disabled after a blackhole detection (see the blackhole check)',
        evidence,
        fix: {
          advice:
            'A path dropped SYNs carrying MP_CAPABLE, so the kernel disabled active MPTCP for net.mptcp.blackhole_timeout seconds. ' +
            'It re-enables itself; find the firewall that drops SYNs with unknown TCP options (mptcp-doctor probe shows which path).',
          commands: [['sysctl', 'net.mptcp.blackhole_timeout'], ['nstat', '-az', 'MPTcpExtBlackhole', 'MPTcpExtMPCapableSYNTXDisabled']],
        },
      };
    }
    const who = [result.client.state !== 'mptcp' ? 'client' : '', result.server.state !== 'mptcp' ? 'server' : ''].filter(Boolean).join(' and ');
    return {
      status: 'fail',
      summary: `MPTCP did not hold over loopback (${who} fell back to TCP)`,
      evidence,
      fix: {
        advice: 'Something on this host strips MPTCP even on loopback: look for firewall rules on lo (TCPOPTSTRIP, ' +
          'nftables "tcp option" edits) and BPF programs attached to cgroups (bpftool cgroup tree).',
        commands: [['nft', 'list', 'ruleset'], ['iptables', '-t', 'mangle', '-S'], ['bpftool', 'cgroup', 'tree']],
      },
    };
  },
};
