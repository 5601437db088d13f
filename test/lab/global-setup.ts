// vitest globalSetup for the lab (register in vitest.config.ts: `globalSetup: ['test/lab/global-setup.ts']`).
// setup: removes namespaces left by earlier runs whose process died. teardown (after every worker
// has exited): any lab namespace whose creator is gone is a leak of this run; it is removed, and
// the run fails naming it, so "nothing of the lab remains" is checked on every full run.
import { listNamespaces, sweepStaleNamespaces } from './sweep.js';
import { creatorPid } from './names.js';

export function setup(): void {
  if (process.getuid?.() !== 0) return;
  const removed = sweepStaleNamespaces();
  if (removed.length > 0) console.warn(`lab: removed namespaces left by earlier runs: ${removed.join(', ')}`);
}

export function teardown(): void {
  if (process.getuid?.() !== 0) return;
  const leaked = sweepStaleNamespaces();
  if (leaked.length > 0) {
    throw new Error(`lab: namespaces left behind by this run (now removed): ${leaked.join(', ')}`);
  }
  // Namespaces of live processes belong to other runs going on now: not ours to judge.
  const live = listNamespaces().filter((n) => creatorPid(n) === process.pid);
  if (live.length > 0) throw new Error(`lab: namespaces still present: ${live.join(', ')}`);
}
