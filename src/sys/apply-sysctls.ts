// Applies several sysctls as one change: each value is re-read after writing, and when one fails
// the ones already applied are set back, so the host is never left half-changed.
import { readSysctl, writeSysctl } from './sysctl.js';

export interface SysctlAssignment {
  key: string;
  value: string;
  /** The value before, for rollback. */
  previous: string;
}

export interface SysctlIo {
  read(key: string): Promise<string | undefined>;
  write(key: string, value: string): Promise<void>;
}

export const realSysctlIo: SysctlIo = { read: readSysctl, write: writeSysctl };

export class SysctlApplyError extends Error {
  constructor(
    message: string,
    readonly failedKey: string,
    /** Keys set back to their previous value. */
    readonly rolledBack: string[],
    /** Keys whose rollback failed too: the host is changed there. */
    readonly rollbackFailed: string[],
  ) {
    super(message);
    this.name = 'SysctlApplyError';
  }
}

/** Numeric sysctls may read back with different spacing ("1\t2" vs "1 2"): compare word by word. */
function same(a: string | undefined, b: string): boolean {
  return a !== undefined && a.trim().split(/\s+/).join(' ') === b.trim().split(/\s+/).join(' ');
}

export async function applySysctls(assignments: readonly SysctlAssignment[], io: SysctlIo = realSysctlIo): Promise<void> {
  const applied: SysctlAssignment[] = [];
  for (const assignment of assignments) {
    try {
      await io.write(assignment.key, assignment.value);
      const now = await io.read(assignment.key);
      if (!same(now, assignment.value)) throw new Error(`reads back as ${JSON.stringify(now)}`);
      applied.push(assignment);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const rolledBack: string[] = [];
      const rollbackFailed: string[] = [];
      // The failed one too: a write may have succeeded before its read-back disagreed.
      for (const done of [assignment, ...applied.reverse()]) {
        try {
          if (!same(await io.read(done.key), done.previous)) {
            await io.write(done.key, done.previous);
            if (!same(await io.read(done.key), done.previous)) throw new Error('restore did not hold');
          }
          if (done !== assignment) rolledBack.push(done.key);
        } catch {
          rollbackFailed.push(done.key);
        }
      }
      const tail = rollbackFailed.length > 0
        ? `; could not restore ${rollbackFailed.join(', ')}`
        : applied.length > 0 ? `; restored ${rolledBack.join(', ')}: nothing changed` : '; nothing changed';
      throw new SysctlApplyError(`setting ${assignment.key}=${assignment.value} failed: ${reason}${tail}`, assignment.key, rolledBack, rollbackFailed);
    }
  }
}
