// Per-run names. Parallel vitest workers are separate processes, so the pid (base 36, short) plus a
// per-process counter makes every namespace name unique on the machine while a run lives; the pid
// in the name also lets a later run recognise namespaces whose creator died without cleaning up.
let counter = 0;

/** `md<pid36>_<n>`: prefix for one lab's namespaces (`-cli`, `-rtr`, `-srv` are appended). */
export function nextLabPrefix(): string {
  counter += 1;
  return `md${process.pid.toString(36)}_${counter}`;
}

/**
 * A single namespace of a test (not a whole lab): `md<pid36>_<n>-<label>`. Every namespace a test
 * makes is named this way, so the sweep and the end-of-run leak check (global-setup.ts) cover them all.
 */
export function nextNamespaceName(label: string): string {
  return `${nextLabPrefix()}-${label.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`;
}

/** Names made by nextLabPrefix: the creator's pid, or undefined for other names (never touched). */
export function creatorPid(namespace: string): number | undefined {
  const match = /^md([0-9a-z]+)_\d+-[a-z0-9-]+$/.exec(namespace);
  if (!match) return undefined;
  const pid = Number.parseInt(match[1]!, 36);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}
