import { describe, expect, it } from 'vitest';
import { selftestLoopbackCheck } from '../../../checks/selftest-loopback.js';
import { AddonUnavailableError } from '../../../src/native/binding.js';
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
    const refused = Object.assign(new Error('connect: connect ECONNREFUSED 127.0.0.1:2121'), { code: 'ECONNREFUSED' });
    const outcome = await selftestLoopbackCheck.run(context({}, async () => Promise.reject(refused)));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toContain('ECONNREFUSED');
    expect(outcome.fix?.commands).toEqual([['ip', 'link', 'set', 'lo', 'up']]);
  });

  it('does not blame loopback for a failure that is not about the connection (the addon missing, a fault of ours)', async () => {
    const missing = new AddonUnavailableError('native addon not found');
    await expect(selftestLoopbackCheck.run(context({}, async () => Promise.reject(missing)))).rejects.toBe(missing);
    const ours = new TypeError('cannot read properties of undefined');
    await expect(selftestLoopbackCheck.run(context({}, async () => Promise.reject(ours)))).rejects.toBe(ours);
  });

  it('skips when no MPTCP socket could be created', async () => {
    const outcome = await selftestLoopbackCheck.run(
      context({}, async () => ({ ...HELD, socket: 'tcp', reasonText: 'MPTCP is disabled', client: { state: 'tcp', method: 'so_protocol' } })),
    );
    expect(outcome.status).toBe('skip');
    expect(outcome.summary).toContain('disabled');
  });
});
