import { describe, expect, it } from 'vitest';
import { selftestLoopbackCheck } from '../../../checks/selftest-loopback.js';
import { HELD, context } from './fake-host.js';

describe('selftest.loopback', () => {
  it('passes when both ends stay MPTCP', async () => {
    const outcome = await selftestLoopbackCheck.run(context({}, async () => HELD));
    expect(outcome.status).toBe('pass');
  });

  it('fails naming the side that fell back', async () => {
    const outcome = await selftestLoopbackCheck.run(context({}, async () => ({ ...HELD, server: { state: 'fallback', method: 'tcp_is_mptcp' } })));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toContain('server fell back');
  });

  it('fails when the loopback connection cannot be made', async () => {
    const outcome = await selftestLoopbackCheck.run(context({}, async () => Promise.reject(new Error('connect ECONNREFUSED'))));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toContain('ECONNREFUSED');
    expect(outcome.fix?.commands).toEqual([['ip', 'link', 'set', 'lo', 'up']]);
  });

  it('skips when no MPTCP socket could be created', async () => {
    const outcome = await selftestLoopbackCheck.run(
      context({}, async () => ({ ...HELD, socket: 'tcp', reasonText: 'MPTCP is disabled', client: { state: 'tcp', method: 'so_protocol' } })),
    );
    expect(outcome.status).toBe('skip');
    expect(outcome.summary).toContain('disabled');
  });
});
