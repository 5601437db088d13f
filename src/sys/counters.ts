// MPTcpExt counters of the calling process's network namespace (/proc/net/netstat is per namespace).
// Snapshot before and after something and keep the deltas (kernel selftests do the same).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export type CounterSnapshot = Record<string, number>;

const NETSTAT_PATH = '/proc/net/netstat';

/**
 * Parses /proc/net/netstat text: pairs of lines "Group: names..." then "Group: values...". Returns
 * every group's counters (MPTcpExt, TcpExt, IpExt...), names without the group prefix.
 */
export function parseNetstatGroups(text: string): Record<string, CounterSnapshot> {
  const groups: Record<string, CounterSnapshot> = {};
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  for (let i = 0; i + 1 < lines.length; i += 1) {
    const [nameGroup, ...names] = lines[i]!.trim().split(/\s+/);
    const [valueGroup, ...values] = lines[i + 1]!.trim().split(/\s+/);
    if (!nameGroup?.endsWith(':') || nameGroup !== valueGroup || groups[nameGroup.slice(0, -1)]) continue;
    const counters: CounterSnapshot = {};
    names.forEach((name, index) => {
      const value = Number(values[index]);
      if (name && Number.isFinite(value)) counters[name] = value;
    });
    groups[nameGroup.slice(0, -1)] = counters;
    i += 1;
  }
  return groups;
}

/** One group's counters (default MPTcpExt); empty when the kernel has none. */
export function parseNetstat(text: string, prefix = 'MPTcpExt'): CounterSnapshot {
  return parseNetstatGroups(text)[prefix] ?? {};
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
