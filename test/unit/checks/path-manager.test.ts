import { describe, expect, it } from 'vitest';
import { managerConflictCheck } from '../../../checks/manager-conflict.js';
import { pmTypeCheck } from '../../../checks/pm-type.js';
import { context } from './fake-host.js';

describe('pm.type', () => {
  it('passes with the in-kernel path manager', async () => {
    expect((await pmTypeCheck.run(context())).status).toBe('pass');
  });

  it('passes on kernels before 5.19 that have neither sysctl', async () => {
    const outcome = await pmTypeCheck.run(context({ sysctls: { 'net.mptcp.path_manager': undefined, 'net.mptcp.pm_type': undefined } }));
    expect(outcome.status).toBe('pass');
    expect(outcome.summary).toContain('before 5.19');
  });

  it('warns with the userspace path manager and no daemon, printing (not structuring) the way back', async () => {
    const outcome = await pmTypeCheck.run(context({ sysctls: { 'net.mptcp.path_manager': undefined, 'net.mptcp.pm_type': '1' } }));
    expect(outcome.status).toBe('warn');
    expect(outcome.fix?.commands).toContainEqual(['sysctl', '-w', 'net.mptcp.pm_type=0']);
    expect(outcome.fix?.sysctls).toBeUndefined();
  });

  it('uses path_manager (6.15+) when present', async () => {
    const outcome = await pmTypeCheck.run(context({ sysctls: { 'net.mptcp.path_manager': 'userspace', 'net.mptcp.pm_type': '1' } }));
    expect(outcome.status).toBe('warn');
    expect(outcome.fix?.commands).toContainEqual(['sysctl', '-w', 'net.mptcp.path_manager=kernel']);
  });

  it('passes with the userspace path manager when mptcpd runs', async () => {
    const outcome = await pmTypeCheck.run(
      context({ sysctls: { 'net.mptcp.path_manager': 'userspace' }, processes: [{ pid: 1, name: 'init' }, { pid: 812, name: 'mptcpd' }] }),
    );
    expect(outcome.status).toBe('pass');
    expect(outcome.evidence.join('\n')).toContain('mptcpd (pid 812)');
  });
});

describe('manager.conflict', () => {
  it('warns when mptcpd and NetworkManager both run', async () => {
    const outcome = await managerConflictCheck.run(context({ processes: [{ pid: 5, name: 'NetworkManager' }, { pid: 9, name: 'mptcpd' }] }));
    expect(outcome.status).toBe('warn');
    expect(outcome.fix?.advice).toContain('mptcp-flags');
  });

  it('passes with only one of them', async () => {
    const outcome = await managerConflictCheck.run(context({ processes: [{ pid: 5, name: 'NetworkManager' }] }));
    expect(outcome.status).toBe('pass');
    expect(outcome.summary).toContain('only NetworkManager');
  });

  it('passes with neither', async () => {
    expect((await managerConflictCheck.run(context())).status).toBe('pass');
  });
});
