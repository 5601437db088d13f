// A fix is data until the user asks to run it (flutter doctor style): the plan is computed from
// check results, then applied all or nothing: every obstacle is looked for before the first change,
// the sysctls are applied together (rolled back if one fails), and a drop-in that cannot be written
// undoes the live change too. The `fix` command only asks for consent and prints.
import { fileWriteProblem } from '../src/sys/atomic-write.js';
import { applySysctls, SysctlApplyError, type SysctlAssignment } from '../src/sys/apply-sysctls.js';
import { mergeDropin, readDropin, writeSysctlDropin } from '../src/sys/sysctl-dropin.js';
import { describeWriteProblems, readSysctl, sysctlWriteProblem } from '../src/sys/sysctl.js';
import type { CheckResult } from './types.js';

export interface PlannedChange extends SysctlAssignment {
  /** Checks that proposed it. */
  checks: string[];
}

export interface PrintedSuggestion {
  id: string;
  advice: string;
  commands: string[][];
}

export interface FixPlan {
  changes: PlannedChange[];
  printedOnly: PrintedSuggestion[];
}

/** Sysctl fixes of warn/fail checks, one per key, skipping values already in place. */
export async function planFixes(results: readonly CheckResult[], read = readSysctl): Promise<FixPlan> {
  const changes: PlannedChange[] = [];
  const printedOnly: PrintedSuggestion[] = [];
  for (const result of results) {
    if ((result.status !== 'warn' && result.status !== 'fail') || !result.fix) continue;
    const sysctlCommands = new Set((result.fix.sysctls ?? []).map((s) => `${s.key}=${s.value}`));
    const others = result.fix.commands.filter((c) => !(c[0] === 'sysctl' && c[1] === '-w' && sysctlCommands.has(c[2] ?? '')));
    if (others.length > 0 || !result.fix.sysctls?.length) printedOnly.push({ id: result.id, advice: result.fix.advice, commands: others });
    for (const { key, value } of result.fix.sysctls ?? []) {
      const existing = changes.find((c) => c.key === key);
      if (existing) {
        existing.checks.push(result.id);
        continue;
      }
      const previous = await read(key);
      if (previous === undefined || previous === value) continue;
      changes.push({ key, value, previous, checks: [result.id] });
    }
  }
  return { changes, printedOnly };
}

/** The drop-in's text after the plan is persisted (what `--dry-run --persist` shows). */
export async function plannedDropin(plan: FixPlan, path: string): Promise<string> {
  return mergeDropin(await readDropin(path), plan.changes);
}

/** Why the plan cannot be applied here; an error means nothing was changed. */
export class FixCannotRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FixCannotRunError';
  }
}

/** Everything that would stop the plan half-way, checked before the first change. */
export async function planObstacles(plan: FixPlan, persistPath: string | undefined): Promise<string[]> {
  const euid = process.geteuid?.() ?? 0;
  if (euid !== 0) return [`fix changes sysctls and needs root (running as uid ${euid})`];
  const writeProblems = (await Promise.all(plan.changes.map((c) => sysctlWriteProblem(c.key)))).filter((p) => p !== undefined);
  const problems = writeProblems.length > 0 ? [describeWriteProblems(writeProblems)] : [];
  if (persistPath !== undefined) {
    const problem = await fileWriteProblem(persistPath);
    if (problem) problems.push(`cannot write ${persistPath}: ${problem}`);
  }
  return problems;
}

/** Applies the plan all or nothing; throws FixCannotRunError with what was undone. */
export async function applyPlan(plan: FixPlan, persistPath: string | undefined): Promise<void> {
  const problems = await planObstacles(plan, persistPath);
  if (problems.length > 0) throw new FixCannotRunError(`${problems.join('; ')}; nothing was changed`);
  try {
    await applySysctls(plan.changes);
  } catch (error) {
    if (error instanceof SysctlApplyError) throw new FixCannotRunError(error.message);
    throw error;
  }
  if (persistPath === undefined) return;
  try {
    await writeSysctlDropin(persistPath, plan.changes);
  } catch (error) {
    // Keep the promise of all or nothing: undo the live change too.
    await applySysctls(plan.changes.map((c) => ({ key: c.key, value: c.previous, previous: c.value }))).catch(() => undefined);
    throw new FixCannotRunError(`cannot write ${persistPath}: ${(error as { code?: string }).code ?? (error as Error).message}; changes undone`);
  }
}
