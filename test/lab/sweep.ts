// Namespaces left by a lab whose process died without cleanup (SIGKILL, OOM): recognised by the
// creator pid in the name (names.ts) and removed only when that pid no longer exists.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { creatorPid } from './names.js';

export function listNamespaces(): string[] {
  try {
    const text = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return text.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n !== '');
  } catch {
    return [];
  }
}

export function namespacePids(ns: string): number[] {
  try {
    const text = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return text.split('\n').map((l) => Number(l.trim())).filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

/** Synchronously SIGKILLs what runs in ns and deletes it. For emergencies and stale leftovers. */
export function killAndDeleteSync(ns: string): void {
  for (const pid of namespacePids(ns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  try {
    execFileSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
  } catch {
    // not there (someone else swept it)
  }
}

/** Removes lab namespaces whose creating process is dead. Returns the names removed. */
export function sweepStaleNamespaces(): string[] {
  const removed: string[] = [];
  for (const ns of listNamespaces()) {
    const pid = creatorPid(ns);
    if (pid === undefined || pid === process.pid || existsSync(`/proc/${pid}`)) continue;
    killAndDeleteSync(ns);
    removed.push(ns);
  }
  return removed;
}
