// MPTcpExt (and other /proc/net/netstat groups) per namespace. /proc/net follows the reading
// process's network namespace, so `ip netns exec NS cat /proc/net/netstat` reads that namespace's.
import { parseNetstatGroups, type CounterSnapshot } from '../../src/sys/counters.js';
import { execIn } from './exec.js';

export type Counters = CounterSnapshot;

/** The tool's own parser of /proc/net/netstat: every group, by name. */
export const parseNetstat = parseNetstatGroups;

/** One group's counters in namespace ns (default group MPTcpExt). */
export async function snapshotCounters(ns: string | undefined, group = 'MPTcpExt'): Promise<Counters> {
  const r = await execIn(ns, ['cat', '/proc/net/netstat'], { check: true, timeoutMs: 5000 });
  return parseNetstat(r.stdout)[group] ?? {};
}

/** after - before, keeping only counters that changed: the same arithmetic the tool itself uses. */
export { counterDeltas as diffCounters } from '../../src/sys/counters.js';
