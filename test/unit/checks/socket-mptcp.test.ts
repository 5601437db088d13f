import { describe, expect, it } from 'vitest';
import { socketMptcpCheck } from '../../../checks/socket-mptcp.js';
import { context } from './fake-host.js';

describe('socket.mptcp', () => {
  it('passes when an MPTCP socket can be created and the options answer', async () => {
    const outcome = await socketMptcpCheck.run(context());
    expect(outcome.status).toBe('pass');
    expect(outcome.evidence).toContain('TCP_IS_MPTCP: answers');
  });

  it('fails with the reason and the enabled fix when MPTCP is disabled', async () => {
    const outcome = await socketMptcpCheck.run(
      context({ probe: { 4: { family: 4, socket: 'tcp', reason: 'disabled', reasonText: 'MPTCP is disabled (net.mptcp.enabled = 0)', refusalCode: 'ENOPROTOOPT' } } }),
    );
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toContain('net.mptcp.enabled = 0');
    expect(outcome.evidence[0]).toContain('ENOPROTOOPT');
    expect(outcome.fix?.sysctls).toEqual([{ key: 'net.mptcp.enabled', value: '1' }]);
  });

  it('fails without a sysctl fix when a policy blocks MPTCP', async () => {
    const outcome = await socketMptcpCheck.run(
      context({ probe: { 4: { family: 4, socket: 'tcp', reason: 'blocked', reasonText: 'blocked by policy', refusalCode: 'EACCES' } } }),
    );
    expect(outcome.status).toBe('fail');
    expect(outcome.fix?.sysctls).toBeUndefined();
    expect(outcome.fix?.advice).toMatch(/SELinux/);
  });

  it('warns when an option the release should offer is refused', async () => {
    const outcome = await socketMptcpCheck.run(
      context({ release: '6.6.0', probe: { 4: { family: 4, socket: 'mptcp', options: { mptcpInfo: true, tcpIsMptcp: true, fullInfo: false } } } }),
    );
    expect(outcome.status).toBe('warn');
    expect(outcome.summary).toContain('MPTCP_FULL_INFO');
  });

  it('does not expect FULL_INFO before 6.5', async () => {
    const outcome = await socketMptcpCheck.run(
      context({ release: '6.1.0', probe: { 4: { family: 4, socket: 'mptcp', options: { mptcpInfo: true, tcpIsMptcp: true, fullInfo: false } } } }),
    );
    expect(outcome.status).toBe('pass');
  });
});
