// Stopping everything a lab runs, before its namespaces are deleted: the programs it started, in
// an order that leaves no orphans behind, then whatever else still runs in its namespaces.
import { isZombie, signal, waitGone, type LabProcess } from './process.js';
import { namespacePids } from './sweep.js';

/**
 * Stops `started` (in the order they were started) and every other process in `namespaces`;
 * resolves once all are gone. Returns the errors met on the way instead of stopping at the first.
 */
export async function stopEverything(started: readonly LabProcess[], namespaces: readonly string[]): Promise<unknown[]> {
  const errors: unknown[] = [];
  const initial = namespaces.flatMap((name) => namespacePids(name));
  // Most recent first, one at a time, and every process's descendants before any process itself:
  // a server's sessions are then reaped by their own (still living) parents. Orphans would
  // become zombies of pid 1, which on this VM reaps them only every second or so.
  const newestFirst = [...started].reverse();
  for (const p of newestFirst) await p.stopDescendants().catch((e: unknown) => { errors.push(e); });
  for (const p of newestFirst) await p.stop(1500).catch((e: unknown) => { errors.push(e); });
  // Whatever else runs in our namespaces (started by our programs, re-parented).
  const swept: number[] = [];
  for (const name of namespaces) {
    const pids = namespacePids(name);
    swept.push(...pids);
    pids.forEach((pid) => signal(pid, 'SIGTERM'));
    const left = await waitGone(pids, 1000);
    left.forEach((pid) => signal(pid, 'SIGKILL'));
  }
  // Gone means gone from /proc, zombies included (bounded: pid 1 reaps orphans on its own time).
  const left = await waitGone([...new Set([...initial, ...swept])], 5000);
  const survivors = left.filter((pid) => !isZombie(pid));
  if (survivors.length > 0) errors.push(new Error(`lab: pids ${survivors.join(',')} survived SIGKILL`));
  return errors;
}
