import { describe, expect, it } from 'vitest';
import { blackholeCheck } from '../../../checks/blackhole.js';
import { context } from './fake-host.js';

describe('blackhole', () => {
  it('passes with zero counters', async () => {
    expect((await blackholeCheck.run(context())).status).toBe('pass');
  });

  it('warns after a detection, quoting blackhole_timeout', async () => {
    const outcome = await blackholeCheck.run(context({ counters: { Blackhole: 1, MPCapableSYNTXDisabled: 4 } }));
    expect(outcome.status).toBe('warn');
    expect(outcome.summary).toContain('1 detection');
    expect(outcome.summary).toContain('4 SYNs');
    expect(outcome.summary).toContain('3600 s');
  });

  it('counts SYNs retried without MP_CAPABLE after drops (it once said 0 in a run that sent 2)', async () => {
    const outcome = await blackholeCheck.run(context({ counters: { Blackhole: 1, MPCapableSYNTXDrop: 2, MPCapableSYNTXDisabled: 0 } }));
    expect(outcome.status).toBe('warn');
    expect(outcome.summary).toContain('2 connections retried without MP_CAPABLE');
    expect(outcome.summary).not.toMatch(/\b0 SYNs\b/);
    const dropsOnly = await blackholeCheck.run(context({ counters: { Blackhole: 0, MPCapableSYNTXDrop: 1, MPCapableSYNTXDisabled: 0 } }));
    expect(dropsOnly.status).toBe('warn');
    expect(dropsOnly.summary).toContain('MP_CAPABLE SYNs were dropped');
  });

  it('skips on kernels without the counters', async () => {
    expect((await blackholeCheck.run(context({ counters: { MPCapableSYNRX: 1 } }))).status).toBe('skip');
    expect((await blackholeCheck.run(context({ counters: undefined }))).status).toBe('skip');
  });
});
