import { describe, expect, it } from 'vitest';
import { makeListenersCheck } from '../../../checks/listeners.js';
import { checkIds } from '../../../checks/registry.js';

const context = {} as never;

describe('listeners.mptcp', () => {
  it('is registered', () => {
    expect(checkIds).toContain('listeners.mptcp');
  });

  it('reports MPTCP and plain TCP listeners as information, with their programs', async () => {
    const check = makeListenersCheck(async () => [
      { kind: 'mptcp', endpoint: '10.0.0.1:21', programs: ['vsftpd'] },
      { kind: 'tcp', endpoint: '[::]:22', programs: ['sshd'] },
    ]);
    const outcome = await check.run(context);
    expect(outcome.status).toBe('pass');
    expect(outcome.summary).toBe('listening: 1 MPTCP (vsftpd 10.0.0.1:21); 1 plain TCP only (sshd [::]:22)');
    expect(outcome.evidence).toEqual(['MPTCP     10.0.0.1:21 vsftpd', 'plain TCP [::]:22 sshd']);
  });

  it('suggests mptcpize when nothing listens with MPTCP, and skips when sockets cannot be read', async () => {
    const none = await makeListenersCheck(async () => [{ kind: 'tcp', endpoint: '0.0.0.0:80', programs: [] }]).run(context);
    expect(none.summary).toMatch(/no MPTCP listeners; 1 plain TCP only \(\? 0\.0\.0\.0:80\); services accept MPTCP when started under `mptcpize run`/);
    const broken = await makeListenersCheck(async () => { throw new Error('sock_diag: ENOENT'); }).run(context);
    expect(broken.status).toBe('skip');
  });
});
