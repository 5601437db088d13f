import { describe, expect, it } from 'vitest';
import { checkIds, selectChecks } from '../../../checks/registry.js';
import { runChecks, summarize } from '../../../checks/runner.js';
import type { Check } from '../../../checks/types.js';
import { context } from './fake-host.js';

describe('registry', () => {
  it('holds every required check id, in a fixed order', () => {
    expect(checkIds).toEqual([
      'kernel.mptcp', 'sysctl.enabled', 'sysctl.checksum', 'socket.mptcp', 'selftest.loopback', 'pm.type',
      'endpoints', 'endpoints.routing', 'limits', 'blackhole', 'rp_filter', 'manager.conflict',
      // Information about the host's services, not about MPTCP's readiness: last.
      'listeners.mptcp',
    ]);
  });

  it('selects by id in registry order and reports unknown ids', () => {
    const { selected, unknown } = selectChecks(['limits', 'kernel.mptcp', 'nope']);
    expect(selected.map((c) => c.id)).toEqual(['kernel.mptcp', 'limits']);
    expect(unknown).toEqual(['nope']);
  });
});

describe('runner', () => {
  it('turns a thrown exception into status error, keeps order, and counts', async () => {
    const broken: Check = { id: 'broken', title: 'broken', run: async () => { throw new Error('ip: not found'); } };
    const fine: Check = { id: 'fine', title: 'fine', run: async () => ({ status: 'pass', summary: 'ok', evidence: [] }) };
    const results = await runChecks([broken, fine], context());
    expect(results.map((r) => [r.id, r.status])).toEqual([['broken', 'error'], ['fine', 'pass']]);
    expect(results[0]!.summary).toContain('ip: not found');
    expect(summarize(results)).toMatchObject({ total: 2, pass: 1, error: 1, ok: false });
  });

  it('times out a check that never answers', async () => {
    const stuck: Check = { id: 'stuck', title: 'stuck', run: () => new Promise(() => undefined) };
    const [result] = await runChecks([stuck], context(), { timeoutMs: 50 });
    expect(result!.status).toBe('error');
    expect(result!.summary).toContain('timed out');
  });

  it('a healthy fake host passes every check but the skips (no endpoints -> warn)', async () => {
    const results = await runChecks(selectChecks(undefined).selected, context());
    const summary = summarize(results);
    expect(summary.ok).toBe(true);
    expect(results.find((r) => r.id === 'endpoints')!.status).toBe('warn');
  });
});
