// sysctl.checksum: without DSS checksums (RFC 8684 section 3.3) MPTCP cannot notice a middlebox that
// rewrites payload. Measured here (docs/mptcp-facts.md, "Middleboxes"): an FTP ALG rewriting PORT silently corrupted
// the MPTCP stream with two subflows and checksums off; with checksums on, the subflow was reset
// (MP_FAIL) or the connection fell back to TCP, intact.
import { sysctlFix, type Check } from './types.js';

export const sysctlChecksumCheck: Check = {
  id: 'sysctl.checksum',
  title: 'DSS checksums',
  async run({ host }) {
    const value = await host.sysctl('net.mptcp.checksum_enabled');
    if (value === undefined) {
      return { status: 'skip', summary: 'net.mptcp.checksum_enabled does not exist (kernel before 5.14)', evidence: [] };
    }
    const evidence = [`net.mptcp.checksum_enabled = ${value}`];
    if (value !== '0') return { status: 'pass', summary: 'DSS checksums on: payload rewriting is detected', evidence };
    return {
      status: 'warn',
      summary: 'DSS checksums off: a middlebox that rewrites payload (FTP ALG) can corrupt data unnoticed',
      evidence,
      fix: sysctlFix(
        'Payload-rewriting middleboxes (FTP ALGs rewriting PORT, transparent proxies) break MPTCP data mapping; ' +
          'with checksums the damage is detected and the connection falls back to TCP intact. A connection ' +
          'uses checksums when either end asks (RFC 8684 section 3.1): set it on both ends to cover every ' +
          'connection. Costs some CPU.',
        [{ key: 'net.mptcp.checksum_enabled', value: '1' }],
      ),
    };
  },
};
