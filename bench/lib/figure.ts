// What a benchmark group hands back: figures (median, spread, goal, PASS/MISS), failures, raw runs.
import { summarize, type Summary } from './stats.js';

export type Unit = 'MB/s' | 'Mbit/s' | 'x' | 'MiB' | 'ms' | 'count' | 'of sum' | 'runs' | 's';

export interface Goal {
  op: '>=' | '<=';
  value: number;
}

export type Status = 'PASS' | 'MISS' | 'INFO';

export interface Figure {
  id: string;
  label: string;
  unit: Unit;
  summary: Summary;
  goal?: Goal;
  status: Status;
}

export interface GroupResult {
  id: string;
  title: string;
  /** how it was measured, for RESULTS.md */
  method: string;
  figures: Figure[];
  /** one line per failed run (a figure is still computed from the runs that worked) */
  failures: string[];
  notes: string[];
  /** every run's raw numbers, for results.json */
  raw: Record<string, unknown>;
  durationMs: number;
  /** 1-minute load average when the group started and ended: every figure is read against it */
  load?: { start: number; end: number };
  /** when the group ended (ISO 8601); with --merge, groups of different runs sit side by side */
  measuredAt?: string;
}

export function meets(value: number, goal: Goal): boolean {
  return goal.op === '>=' ? value >= goal.value : value <= goal.value;
}

/** A figure from raw values; the goal is judged on the median. */
export function figure(id: string, label: string, unit: Unit, values: readonly number[], goal?: Goal): Figure {
  const summary = summarize(values);
  const status: Status = goal === undefined ? 'INFO' : summary.n > 0 && meets(summary.median, goal) ? 'PASS' : 'MISS';
  return { id, label, unit, summary, ...(goal ? { goal } : {}), status };
}

/** A figure already reduced to a summary (paired ratios). */
export function figureOf(id: string, label: string, unit: Unit, summary: Summary, goal?: Goal): Figure {
  const status: Status = goal === undefined ? 'INFO' : summary.n > 0 && meets(summary.median, goal) ? 'PASS' : 'MISS';
  return { id, label, unit, summary, ...(goal ? { goal } : {}), status };
}

export const MB = 1e6;
export const MIB = 1 << 20;

/** MB/s (decimal, like curl) from bytes and milliseconds. */
export function mbPerSecond(bytes: number, ms: number): number {
  return ms > 0 ? bytes / MB / (ms / 1000) : Number.NaN;
}
