// sysctl.enabled: net.mptcp.enabled = 0 makes socket(..., IPPROTO_MPTCP) fail with ENOPROTOOPT,
// and every MPTCP-aware program silently uses TCP.
import { sysctlFix, type Check } from './types.js';

export const sysctlEnabledCheck: Check = {
  id: 'sysctl.enabled',
  title: 'MPTCP enabled',
  async run({ host }) {
    const value = await host.sysctl('net.mptcp.enabled');
    if (value === undefined) return { status: 'skip', summary: 'net.mptcp.enabled does not exist (see kernel.mptcp)', evidence: [] };
    const evidence = [`net.mptcp.enabled = ${value}`];
    if (value === '1') return { status: 'pass', summary: 'net.mptcp.enabled = 1', evidence };
    return {
      status: 'fail',
      summary: `net.mptcp.enabled = ${value}: MPTCP sockets are refused, programs fall back to TCP`,
      evidence,
      fix: sysctlFix('Enable MPTCP in this network namespace.', [{ key: 'net.mptcp.enabled', value: '1' }]),
    };
  },
};
