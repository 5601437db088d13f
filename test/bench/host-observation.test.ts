// The conns figure's helpers: how many connections each holder may keep under a descriptor limit,
// and what GNU time wrote about a run (peak RSS, CPU time).
import { describe, expect, it } from 'vitest';
import { descriptorHardLimit, holderShares } from '../../bench/figures/host-observation.js';
import { parseGnuTime } from '../../bench/lib/timed.js';

describe('host-observation holders', () => {
  it.each([
    [200, 20_000, [200]],
    [10_000, 20_000, [5_000, 5_000]],
    [10_000, 4_096, [2_000, 2_000, 2_000, 2_000, 2_000]],
    [7, 70, [3, 2, 2]],
  ])('%i connections under a limit of %i descriptors: %j', (connections, limit, shares) => {
    expect(holderShares(connections, limit)).toEqual(shares);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(connections);
    expect(Math.max(...shares) * 2 + 64).toBeLessThanOrEqual(limit);
  });

  it('reads the hard limit from /proc/self/limits', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 20000                files     \n';
    expect(descriptorHardLimit(limits)).toBe(20_000);
    expect(descriptorHardLimit(limits.replace('20000', 'unlimited'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(descriptorHardLimit()).toBeGreaterThan(0);
  });

  it('reads what GNU time wrote (peak KiB, user and system seconds), and nothing from a file it did not finish', () => {
    expect(parseGnuTime('10240 0.84 0.31\n')).toEqual({ peakRssBytes: 10 * 1024 * 1024, cpuMs: 1150 });
    expect(parseGnuTime('Command exited with non-zero status 1\n2048 0.10 0.02\n')).toEqual({ peakRssBytes: 2048 * 1024, cpuMs: 120 });
    expect(parseGnuTime('')).toEqual({});
  });
});
