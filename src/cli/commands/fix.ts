// mptcp-doctor fix: applies the sysctl fixes that `check` proposes, with consent (TTY question or
// --yes), all or nothing, then re-reads the host and shows each check before and after. Endpoint,
// routing and other suggestions are printed, never applied.
import type { CheckResult, ResultStatus } from '../../../checks/types.js';
import { summarize } from '../../../checks/runner.js';
import { formatCommand, renderCountLine, statusWord, wrapText } from '../../report/checks.js';
import { paint, renderTable, TERMINAL_WIDTH } from '../../report/table.js';
import { fileWriteProblem } from '../../sys/atomic-write.js';
import { applySysctls, SysctlApplyError, type SysctlAssignment } from '../../sys/apply-sysctls.js';
import { DEFAULT_DROPIN_PATH, writeSysctlDropin } from '../../sys/sysctl-dropin.js';
import { describeWriteProblems, readSysctl, sysctlWriteProblem } from '../../sys/sysctl.js';
import { defineCommand } from '../command.js';
import { canAsk, confirm } from '../confirm.js';
import { CannotRunError, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';
import { auditHost, parseOnly } from './check.js';

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

export interface FixJson {
  schema: 'mptcp-doctor/fix/v1';
  plan: FixPlan;
  dryRun: boolean;
  applied: boolean;
  persistFile?: string;
  before: Array<{ id: string; status: ResultStatus; summary: string }>;
  after?: Array<{ id: string; status: ResultStatus; summary: string }>;
}

function renderPlan(plan: FixPlan, output: Output): string {
  const blocks: string[] = [];
  if (plan.changes.length > 0) {
    blocks.push(
      'Plan (sysctls to set):\n' +
        renderTable(plan.changes.map((c) => ['  ' + c.key, `${c.previous} -> ${paint(output.color, 'bold', c.value)}`, `(${c.checks.join(', ')})`])).trimEnd(),
    );
  } else {
    blocks.push('Nothing for fix to apply: no failing or warning check has a sysctl fix.');
  }
  if (plan.printedOnly.length > 0) {
    const lines = ['Not applied by fix (run them yourself if they fit this host):'];
    for (const s of plan.printedOnly) {
      lines.push(`  ${s.id}:`, wrapText(s.advice, TERMINAL_WIDTH, '    '));
      for (const command of s.commands) lines.push(`    $ ${formatCommand(command)}`);
    }
    blocks.push(lines.join('\n'));
  }
  return blocks.join('\n\n');
}

function brief(results: readonly CheckResult[]) {
  return results.map((r) => ({ id: r.id, status: r.status, summary: r.summary }));
}

export const fixCommand = defineCommand({
  command: 'fix',
  describe: 'apply the sysctl fixes that check proposes (asks first; --yes to skip the question)',
  builder: (y) =>
    y
      .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'apply without asking' })
      .option('dry-run', { alias: 'n', type: 'boolean', default: false, describe: 'show the plan only' })
      .option('persist', { type: 'boolean', default: false, describe: 'also write a sysctl.d drop-in so the values survive a reboot' })
      .option('persist-file', { type: 'string', default: DEFAULT_DROPIN_PATH, describe: 'path of the sysctl.d drop-in' })
      .option('only', { type: 'string', array: true, describe: 'consider only these checks (comma-separated ids)' }),
  async run(options, output) {
    const only = parseOnly(options.only);
    if (options['persist-file'] === '') throw new UsageError('--persist-file needs a path');
    const before = await auditHost(only);
    const plan = await planFixes(before);
    const json: FixJson = { schema: 'mptcp-doctor/fix/v1', plan, dryRun: options['dry-run'], applied: false, before: brief(before) };
    if (!options.json) output.out(renderPlan(plan, output));
    const finish = (code: (typeof ExitCode)[keyof typeof ExitCode]) => {
      if (options.json) output.out(JSON.stringify(json, null, 2));
      return code;
    };
    if (plan.changes.length === 0 || options['dry-run']) {
      return finish(options['dry-run'] || summarize(before).ok ? ExitCode.ok : ExitCode.problem);
    }

    // Everything that could stop us is checked before the first change (nothing half-applied).
    const euid = process.geteuid?.() ?? 0;
    if (euid !== 0) throw new CannotRunError(`fix changes sysctls and needs root (running as uid ${euid}); nothing was changed`);
    const writeProblems = (await Promise.all(plan.changes.map((c) => sysctlWriteProblem(c.key)))).filter((p) => p !== undefined);
    const problems = writeProblems.length > 0 ? [describeWriteProblems(writeProblems)] : [];
    if (options.persist) {
      const problem = await fileWriteProblem(options['persist-file']);
      if (problem) problems.push(`cannot write ${options['persist-file']}: ${problem}`);
    }
    if (problems.length > 0) throw new CannotRunError(`${problems.join('; ')}; nothing was changed`);

    if (!options.yes) {
      if (!canAsk()) throw new UsageError('not a terminal: pass --yes to apply the plan, or --dry-run to only show it');
      if (!(await confirm(`Apply ${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'}?`))) {
        if (!options.json) output.out('Nothing changed.');
        return finish(ExitCode.problem);
      }
    }

    try {
      await applySysctls(plan.changes);
    } catch (error) {
      if (error instanceof SysctlApplyError) throw new CannotRunError(error.message);
      throw error;
    }
    if (options.persist) {
      try {
        await writeSysctlDropin(options['persist-file'], plan.changes);
        json.persistFile = options['persist-file'];
      } catch (error) {
        // Keep the promise of all or nothing: undo the live change too.
        await applySysctls(plan.changes.map((c) => ({ key: c.key, value: c.previous, previous: c.value }))).catch(() => undefined);
        throw new CannotRunError(`cannot write ${options['persist-file']}: ${(error as { code?: string }).code ?? (error as Error).message}; changes undone`);
      }
    }
    json.applied = true;

    const after = await auditHost(only);
    json.after = brief(after);
    if (!options.json) {
      const lines = plan.changes.map((c) => `  ${c.key} = ${c.value} (was ${c.previous})`);
      if (json.persistFile) lines.push(`  persisted in ${json.persistFile}`);
      output.out(`\nApplied:\n${lines.join('\n')}\n`);
      const rows = before.map((b) => {
        const a = after.find((r) => r.id === b.id)!;
        const changed = a.status !== b.status;
        return [b.id, statusWord(b.status, output.color), changed ? '->' : '', statusWord(a.status, output.color), changed ? a.summary : ''];
      });
      output.out(`Before and after:\n${renderTable([['check', 'before', '', 'after', ''], ...rows])}\n`);
      output.out(renderCountLine(after, output.color));
    }
    return finish(summarize(after).ok ? ExitCode.ok : ExitCode.problem);
  },
});
