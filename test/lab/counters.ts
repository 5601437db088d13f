// MPTcpExt (and other /proc/net/netstat groups) per namespace. /proc/net follows the reading
// process's network namespace, so `ip netns exec NS cat /proc/net/netstat` reads that namespace's.
import { execIn } from './exec.js';

export type Counters = Record<string, number>;

/** Parses /proc/net/netstat text: pairs of "Group: names..." / "Group: values..." lines. */
export function parseNetstat(text: string): Record<string, Counters> {
  const groups: Record<string, Counters> = {};
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [nameGroup, ...names] = lines[i]!.trim().split(/\s+/);
    const [valueGroup, ...values] = lines[i + 1]!.trim().split(/\s+/);
    if (!nameGroup || nameGroup !== valueGroup) continue;
    const group = nameGroup.replace(/:$/, '');
    const counters: Counters = {};
    names.forEach((name, k) => {
      counters[name] = Number(values[k] ?? 0);
    });
    groups[group] = counters;
  }
  return groups;
}

/** One group's counters in namespace ns (default group MPTcpExt). */
export async function snapshotCounters(ns: string | undefined, group = 'MPTcpExt'): Promise<Counters> {
  const r = await execIn(ns, ['cat', '/proc/net/netstat'], { check: true, timeoutMs: 5000 });
  return parseNetstat(r.stdout)[group] ?? {};
}

/** after - before, keeping only counters that changed: the same arithmetic the tool itself uses. */
export { counterDeltas as diffCounters } from '../../src/sys/counters.js';
