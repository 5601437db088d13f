// kernel.mptcp: Linux, a kernel release with MPTCP (5.6+, 5.10+ recommended), built with CONFIG_MPTCP,
// and which MPTCP socket options that release offers (socket.mptcp confirms them on a real socket).
import { FEATURE_RELEASES, atLeast, listOptions, optionsForRelease, parseKernelRelease } from './kernel-version.js';
import type { Check } from './types.js';

export const kernelMptcpCheck: Check = {
  id: 'kernel.mptcp',
  title: 'kernel MPTCP support',
  async run({ host }) {
    if (host.platform !== 'linux') {
      return { status: 'fail', summary: `MPTCP needs Linux; this is ${host.platform}`, evidence: [`platform = ${host.platform}`] };
    }
    const release = await host.kernelRelease();
    const version = parseKernelRelease(release);
    const evidence = [`kernel release ${release}`];
    const [config, enabled] = await Promise.all([host.kernelConfig(), host.sysctl('net.mptcp.enabled')]);
    if (config) {
      const options = Object.entries(config.options).map(([k, v]) => `${k}=${v}`);
      evidence.push(`${config.source}: ${options.length > 0 ? options.join(' ') : 'no MPTCP options'}`);
    } else {
      evidence.push('kernel configuration not readable (no /proc/config.gz or /boot/config-*)');
    }
    evidence.push(enabled === undefined ? '/proc/sys/net/mptcp: absent' : '/proc/sys/net/mptcp: present');

    const upgrade = { advice: 'MPTCP needs Linux 5.6 or newer built with CONFIG_MPTCP=y (5.10 or newer recommended).', commands: [] };
    if (version && !atLeast(version, ...FEATURE_RELEASES.sockets)) {
      return { status: 'fail', summary: `kernel ${release} predates MPTCP (5.6)`, evidence, fix: upgrade };
    }
    const built = config?.options.CONFIG_MPTCP;
    if (config && built !== 'y') {
      return { status: 'fail', summary: `kernel built without MPTCP (CONFIG_MPTCP=${built ?? 'unset'})`, evidence, fix: upgrade };
    }
    if (enabled === undefined) {
      return { status: 'fail', summary: 'no net.mptcp sysctls: this kernel has no MPTCP', evidence, fix: upgrade };
    }
    const offered = version ? listOptions(optionsForRelease(version)) : 'unknown';
    evidence.push(`socket options by release: ${offered}`);
    const ipv6 = config?.options.CONFIG_MPTCP_IPV6 === 'y' ? ', IPv6 too' : '';
    if (version && !atLeast(version, ...FEATURE_RELEASES.recommended)) {
      return {
        status: 'warn',
        summary: `kernel ${release} has early MPTCP: multiple paths and diagnostics need 5.10+`,
        evidence,
        fix: upgrade,
      };
    }
    return { status: 'pass', summary: `Linux ${release}, MPTCP built in${ipv6}; socket options ${offered}`, evidence };
  },
};
