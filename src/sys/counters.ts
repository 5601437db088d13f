// MPTcpExt counters of the calling process's network namespace (/proc/net/netstat is per namespace).
// Snapshot before and after something and keep the deltas (kernel selftests do the same).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export type CounterSnapshot = Record<string, number>;

const NETSTAT_PATH = '/proc/net/netstat';

/**
 * Parses /proc/net/netstat text: pairs of lines "Prefix: names..." then "Prefix: values...".
 * Returns the counters of `prefix` (default MPTcpExt), names without the prefix.
 */
export function parseNetstat(text: string, prefix = 'MPTcpExt'): CounterSnapshot {
  const lines = text.split('\n');
  const counters: CounterSnapshot = {};
  for (let i = 0; i + 1 < lines.length; i += 1) {
    const head = lines[i]!;
    const next = lines[i + 1]!;
    if (!head.startsWith(`${prefix}:`) || !next.startsWith(`${prefix}:`)) continue;
    const names = head.slice(prefix.length + 1).trim().split(/\s+/);
    const values = next.slice(prefix.length + 1).trim().split(/\s+/);
    names.forEach((name, index) => {
      const value = Number(values[index]);
      if (name && Number.isFinite(value)) counters[name] = value;
    });
    break;
  }
  return counters;
}

/** Reads the MPTcpExt counters now; an empty object on a kernel without MPTCP. */
export async function readMptcpCounters(path = NETSTAT_PATH): Promise<CounterSnapshot> {
  return parseNetstat(await readFile(path, 'utf8'));
}

/**
 * The same, synchronously: for callers that must order a snapshot exactly against an event (an
 * accept). One read of a small procfs file; undefined when it cannot be read.
 */
export function readMptcpCountersSync(path = NETSTAT_PATH): CounterSnapshot | undefined {
  try {
    return parseNetstat(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** after - before for every counter that changed (counters missing before count from 0). */
export function counterDeltas(before: CounterSnapshot, after: CounterSnapshot): CounterSnapshot {
  const deltas: CounterSnapshot = {};
  for (const [name, value] of Object.entries(after)) {
    const delta = value - (before[name] ?? 0);
    if (delta !== 0) deltas[name] = delta;
  }
  return deltas;
}
