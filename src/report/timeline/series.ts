// From a subflow's cumulative byte counts to rates: what the charts and the sparklines draw.
import type { TimelinePoint } from './session-timeline.js';

export interface RatePoint {
  /** End of the interval the rate covers (ms). */
  atMs: number;
  /** Start of that interval (ms). */
  fromMs: number;
  /** Bytes carried in the interval. */
  bytes: number;
  /** Bits per second over the interval. */
  bitsPerSecond: number;
}

/**
 * Rates between successive looks, each over at least `minIntervalMs`: the probe also looks at a
 * connection right after a command (a few ms after the previous look), and bytes counted over 6 ms
 * would draw a spike the path never had. Shorter steps are merged into the next one.
 */
export function ratesOf(points: readonly TimelinePoint[], minIntervalMs = 100): RatePoint[] {
  const rates: RatePoint[] = [];
  let anchor = points[0];
  if (!anchor) return rates;
  for (let i = 1; i < points.length; i += 1) {
    const point = points[i]!;
    const span = point.atMs - anchor.atMs;
    const last = i === points.length - 1;
    if (span <= 0 || (span < minIntervalMs && !last)) continue;
    const bytes = Math.max(0, point.bytes - anchor.bytes);
    rates.push({ atMs: point.atMs, fromMs: anchor.atMs, bytes, bitsPerSecond: (bytes * 8 * 1000) / span });
    anchor = point;
  }
  return rates;
}

/**
 * Cumulative bytes at `atMs`, read off straight lines between the looks; undefined before the
 * first look (the subflow did not exist yet); the last count after the last look.
 */
export function bytesAt(points: readonly TimelinePoint[], atMs: number): number | undefined {
  const first = points[0];
  if (!first || atMs < first.atMs) return undefined;
  for (let i = 1; i < points.length; i += 1) {
    const b = points[i]!;
    if (atMs <= b.atMs) {
      const a = points[i - 1]!;
      return b.atMs === a.atMs ? b.bytes : a.bytes + ((b.bytes - a.bytes) * (atMs - a.atMs)) / (b.atMs - a.atMs);
    }
  }
  return points.at(-1)!.bytes;
}

/**
 * Bytes carried in each of `buckets` equal slices of [fromMs, toMs]; undefined for slices that
 * end before the subflow's first look. The sparklines draw these.
 */
export function bucketBytes(points: readonly TimelinePoint[], fromMs: number, toMs: number, buckets: number): Array<number | undefined> {
  const out: Array<number | undefined> = [];
  const width = (toMs - fromMs) / buckets;
  for (let i = 0; i < buckets; i += 1) {
    const start = fromMs + i * width;
    const end = i === buckets - 1 ? toMs : start + width;
    const atEnd = bytesAt(points, end);
    if (atEnd === undefined) {
      out.push(undefined);
      continue;
    }
    // A subflow that appeared inside the slice counts from its first look.
    const atStart = bytesAt(points, start) ?? points[0]!.bytes;
    out.push(Math.max(0, atEnd - atStart));
  }
  return out;
}

/** The last time a subflow's count grew, or undefined if it never did. */
export function lastGrowthMs(points: readonly TimelinePoint[]): number | undefined {
  for (let i = points.length - 1; i > 0; i -= 1) if (points[i]!.bytes > points[i - 1]!.bytes) return points[i]!.atMs;
  return undefined;
}

/** Bytes the subflow carried in all (its counts start at zero when it is created). */
export function totalBytes(points: readonly TimelinePoint[]): number {
  return points.at(-1)?.bytes ?? 0;
}
