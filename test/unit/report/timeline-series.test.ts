// Rates and slices from cumulative byte counts, and the terminal sparklines drawn from them.
import { describe, expect, test } from 'vitest';
import { timelineFromProbe } from '../../../src/report/timeline/from-probe.js';
import { bucketBytes, bytesAt, lastGrowthMs, ratesOf } from '../../../src/report/timeline/series.js';
import { connectionSparklines, renderSparklines, sparkline } from '../../../src/report/timeline/sparkline.js';
import { algResult, LINK_DOWN_KEYS, linkDownResult } from './probe-fixture.js';

const points = [
  { atMs: 0, bytes: 0 },
  { atMs: 6, bytes: 30_000 },
  { atMs: 250, bytes: 1_030_000 },
  { atMs: 500, bytes: 1_030_000 },
];

describe('series', () => {
  test('rates cover at least 100 ms: a look 6 ms after the previous one is merged into the next step', () => {
    expect(ratesOf(points)).toEqual([
      { fromMs: 0, atMs: 250, bytes: 1_030_000, bitsPerSecond: (1_030_000 * 8) / 0.25 },
      { fromMs: 250, atMs: 500, bytes: 0, bitsPerSecond: 0 },
    ]);
    expect(ratesOf(points, 1)[0]).toMatchObject({ fromMs: 0, atMs: 6, bytes: 30_000 });
    expect(ratesOf([{ atMs: 5, bytes: 9 }])).toEqual([]);
  });

  test('bytes between looks lie on a straight line; nothing before the first look', () => {
    expect(bytesAt(points, -1)).toBeUndefined();
    expect(bytesAt(points, 128)).toBeCloseTo(30_000 + (1_000_000 * 122) / 244);
    expect(bytesAt(points, 900)).toBe(1_030_000);
  });

  test('slices: bytes per slice, undefined before the subflow existed', () => {
    const late = [{ atMs: 500, bytes: 10 }, { atMs: 1000, bytes: 110 }];
    expect(bucketBytes(late, 0, 1000, 4)).toEqual([undefined, 0, 50, 50]);
    expect(bucketBytes(points, 0, 500, 2).reduce((a, b) => a! + b!, 0)).toBe(1_030_000);
  });

  test('last growth', () => {
    expect(lastGrowthMs(points)).toBe(250);
    expect(lastGrowthMs([{ atMs: 1, bytes: 5 }, { atMs: 2, bytes: 5 }])).toBeUndefined();
  });
});

describe('sparkline', () => {
  test('blank for nothing, the lowest block for a trickle, the full block for the most', () => {
    expect(sparkline([0, 1, 50, 100, undefined])).toBe(' ▁▄█ ');
    expect(sparkline([10, 10], 80)).toBe('▁▁');
    expect(sparkline([0, 0])).toBe('  ');
  });

  test('the stopped subflow draws blanks after it stopped, the other carries on to the end', () => {
    const data = timelineFromProbe(linkDownResult()).groups[0]!.connections[1]!;
    const lines = connectionSparklines(data, false);
    expect(lines[0]).toMatch(/^ {2}data epsv \(380-6239 ms, a block per \d+ ms\):$/);
    const first = lines.find((l) => l.endsWith(LINK_DOWN_KEYS.first))!;
    const second = lines.find((l) => l.includes(LINK_DOWN_KEYS.second))!;
    const blocks = (line: string) => line.slice(4, 4 + 28);
    // One block per look at most (26 looks), none blank while the subflow carried data.
    expect(blocks(first).trimEnd()).toMatch(/^[▁-█]{20,28}$/);
    expect(blocks(second).trimEnd().length).toBeLessThanOrEqual(4);
    expect(blocks(second).trimEnd().length).toBeGreaterThan(0);
    expect(lines.join('\n')).toContain('stopped carrying data at 874 ms');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
  });

  test('colour only when asked; control connections and small digests only with all', () => {
    const timeline = timelineFromProbe(linkDownResult());
    expect(renderSparklines(timeline, false)).not.toContain('\x1b[');
    expect(renderSparklines(timeline, true)).toContain('\x1b[34m');
    expect(renderSparklines(timeline, false)).not.toContain('control');
    expect(renderSparklines(timeline, false, true)).toContain('control');
    const alg = renderSparklines(timelineFromProbe(algResult()), false, true);
    expect(alg).toContain('fell back to TCP at 325 ms');
  });

  test('long IPv6 local addresses shrink the blocks, not the 80 columns', () => {
    const data = timelineFromProbe(linkDownResult()).groups[0]!.connections[1]!;
    const key = '[fd00:1:2:3:4:5:6:7]:52337';
    const wide = { ...data, subflows: data.subflows.map((s, i) => ({ ...s, key: i === 1 ? key : s.key })), markers: data.markers.map((m) => (m.subflow ? { ...m, subflow: key } : m)) };
    for (const line of connectionSparklines(wide, false)) expect([...line].length).toBeLessThanOrEqual(80);
  });
});
