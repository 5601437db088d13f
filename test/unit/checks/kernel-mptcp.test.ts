import { describe, expect, it } from 'vitest';
import { kernelMptcpCheck } from '../../../checks/kernel-mptcp.js';
import { context } from './fake-host.js';

describe('kernel.mptcp', () => {
  it('passes on a recent kernel with CONFIG_MPTCP=y and lists the options its release offers', async () => {
    const outcome = await kernelMptcpCheck.run(context({ release: '6.18.44-fc-v669' }));
    expect(outcome.status).toBe('pass');
    expect(outcome.summary).toContain('MPTCP_INFO, TCP_IS_MPTCP, MPTCP_FULL_INFO');
    expect(outcome.evidence).toContain('/proc/config.gz: CONFIG_MPTCP=y CONFIG_MPTCP_IPV6=y');
  });

  it('offers only what the release has: 5.15 has MPTCP_INFO but not TCP_IS_MPTCP (5.16) or FULL_INFO (6.5)', async () => {
    const outcome = await kernelMptcpCheck.run(context({ release: '5.15.0-91-generic' }));
    expect(outcome.status).toBe('pass');
    expect(outcome.summary).toMatch(/socket options MPTCP_INFO$/);
  });

  it('passes without a readable kernel config when /proc/sys/net/mptcp exists', async () => {
    const outcome = await kernelMptcpCheck.run(context({ config: undefined }));
    expect(outcome.status).toBe('pass');
    expect(outcome.evidence.join('\n')).toContain('not readable');
  });

  it('warns on early MPTCP kernels (5.6 - 5.9)', async () => {
    const outcome = await kernelMptcpCheck.run(context({ release: '5.8.0' }));
    expect(outcome.status).toBe('warn');
    expect(outcome.summary).toContain('5.10');
  });

  it('fails before 5.6', async () => {
    const outcome = await kernelMptcpCheck.run(context({ release: '5.4.0-150-generic' }));
    expect(outcome.status).toBe('fail');
    expect(outcome.fix?.advice).toContain('5.6');
  });

  it('fails when the kernel was built without CONFIG_MPTCP', async () => {
    const outcome = await kernelMptcpCheck.run(context({ config: { source: '/boot/config-6.1.0', options: { CONFIG_MPTCP: 'n' } } }));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toContain('CONFIG_MPTCP=n');
  });

  it('fails when there are no net.mptcp sysctls', async () => {
    const outcome = await kernelMptcpCheck.run(context({ config: undefined, sysctls: { 'net.mptcp.enabled': undefined } }));
    expect(outcome.status).toBe('fail');
  });

  it('fails off Linux', async () => {
    const outcome = await kernelMptcpCheck.run(context({ platform: 'darwin' }));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toContain('darwin');
  });
});
