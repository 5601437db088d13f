import { describe, expect, it } from 'vitest';
import { sysctlChecksumCheck } from '../../../checks/sysctl-checksum.js';
import { sysctlEnabledCheck } from '../../../checks/sysctl-enabled.js';
import { context } from './fake-host.js';

describe('sysctl.enabled', () => {
  it('passes at 1', async () => {
    expect((await sysctlEnabledCheck.run(context())).status).toBe('pass');
  });

  it('fails at 0 with a structured sysctl fix', async () => {
    const outcome = await sysctlEnabledCheck.run(context({ sysctls: { 'net.mptcp.enabled': '0' } }));
    expect(outcome.status).toBe('fail');
    expect(outcome.fix?.commands).toEqual([['sysctl', '-w', 'net.mptcp.enabled=1']]);
    expect(outcome.fix?.sysctls).toEqual([{ key: 'net.mptcp.enabled', value: '1' }]);
  });

  it('skips when the sysctl does not exist', async () => {
    expect((await sysctlEnabledCheck.run(context({ sysctls: { 'net.mptcp.enabled': undefined } }))).status).toBe('skip');
  });
});

describe('sysctl.checksum', () => {
  it('passes when checksums are on', async () => {
    expect((await sysctlChecksumCheck.run(context())).status).toBe('pass');
  });

  it('warns at 0, explaining payload-rewriting middleboxes and both ends', async () => {
    const outcome = await sysctlChecksumCheck.run(context({ sysctls: { 'net.mptcp.checksum_enabled': '0' } }));
    expect(outcome.status).toBe('warn');
    expect(outcome.fix?.advice).toMatch(/FTP ALG/);
    expect(outcome.fix?.advice).toMatch(/both ends/);
    expect(outcome.fix?.sysctls).toEqual([{ key: 'net.mptcp.checksum_enabled', value: '1' }]);
  });

  it('skips on kernels without it (before 5.14)', async () => {
    expect((await sysctlChecksumCheck.run(context({ sysctls: { 'net.mptcp.checksum_enabled': undefined } }))).status).toBe('skip');
  });
});
