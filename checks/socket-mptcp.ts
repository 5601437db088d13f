// socket.mptcp: can this process create an MPTCP socket (src/native createSocket), and if not, why:
// disabled (ENOPROTOOPT), no kernel support (EPROTONOSUPPORT), too old (EINVAL), or policy (EACCES/EPERM).
// On success the socket options the kernel release promises are confirmed on that socket.
import { OPTION_NAMES, optionsForRelease, parseKernelRelease, type OfferedOptions } from './kernel-version.js';
import { sysctlFix, type Check, type Fix } from './types.js';

const ADVICE: Record<string, string> = {
  disabled: 'Enable MPTCP in this network namespace.',
  unsupported: 'This kernel was built without CONFIG_MPTCP: use a kernel with MPTCP (5.10 or newer).',
  'old-kernel': 'Kernels before 5.6 have no MPTCP sockets: upgrade the kernel.',
  blocked: 'A security policy (SELinux, AppArmor, a BPF cgroup program) refuses MPTCP sockets: allow IPPROTO_MPTCP (262).',
};

export const socketMptcpCheck: Check = {
  id: 'socket.mptcp',
  title: 'MPTCP socket',
  async run({ host }) {
    const probe = await host.probeSocket(4);
    if (probe.socket === 'tcp') {
      const reason = probe.reason ?? 'unknown';
      const evidence = [`socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP) failed: ${probe.refusalCode ?? 'unknown error'}`];
      const fix: Fix =
        reason === 'disabled'
          ? sysctlFix(ADVICE.disabled!, [{ key: 'net.mptcp.enabled', value: '1' }])
          : { advice: ADVICE[reason] ?? 'The kernel refused an MPTCP socket.', commands: [] };
      return { status: 'fail', summary: `no MPTCP socket: ${probe.reasonText ?? 'refused by the kernel'}`, evidence, fix };
    }
    const answered = probe.options ?? { mptcpInfo: false, tcpIsMptcp: false, fullInfo: false };
    const evidence = ['socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP): ok'];
    for (const key of Object.keys(OPTION_NAMES) as Array<keyof OfferedOptions>) {
      evidence.push(`${OPTION_NAMES[key]}: ${answered[key] ? 'answers' : 'refused'}`);
    }
    const version = parseKernelRelease(await host.kernelRelease());
    const expected = version ? optionsForRelease(version) : undefined;
    const missing = expected
      ? (Object.keys(OPTION_NAMES) as Array<keyof OfferedOptions>).filter((k) => expected[k] && !answered[k]).map((k) => OPTION_NAMES[k])
      : [];
    try {
      const v6 = await host.probeSocket(6);
      evidence.push(`IPv6 MPTCP socket: ${v6.socket === 'mptcp' ? 'ok' : (v6.reasonText ?? 'refused')}`);
    } catch (error) {
      evidence.push(`IPv6 MPTCP socket: ${(error as { code?: string }).code ?? String(error)}`);
    }
    if (missing.length > 0) {
      return {
        status: 'warn',
        summary: `MPTCP socket ok, but ${missing.join(', ')} refused though this kernel release should offer ${missing.length === 1 ? 'it' : 'them'}`,
        evidence,
      };
    }
    return { status: 'pass', summary: 'this process can create MPTCP sockets', evidence };
  },
};
