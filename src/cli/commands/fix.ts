// mptcp-doctor fix: applies the sysctl fixes that `check` proposes, with consent (TTY question or
// --yes), all or nothing (checks/fix-plan.ts), then re-reads the host and shows each check before
// and after. Endpoint, routing and other suggestions are printed, never applied.
import { auditHost } from '../../../checks/audit.js';
import { applyPlan, FixCannotRunError, planFixes, plannedDropin, planObstacles, type FixPlan } from '../../../checks/fix-plan.js';
import { summarize } from '../../../checks/runner.js';
import type { CheckResult, ResultStatus } from '../../../checks/types.js';
import { formatCommand, renderCountLine, statusWord, wrapText } from '../../report/checks.js';
import { paint, renderTable, TERMINAL_WIDTH } from '../../report/table.js';
import { DEFAULT_DROPIN_PATH } from '../../sys/sysctl-dropin.js';
import { parseOnly } from '../check-selection.js';
import { defineCommand } from '../command.js';
import { canAsk, confirm } from '../confirm.js';
import { CannotRunError, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { claimInterrupts, InterruptedError, interruptionWord } from '../interrupt.js';
import type { Output } from '../output.js';

export type { FixPlan } from '../../../checks/fix-plan.js';

export interface FixJson {
  schema: 'mptcp-doctor/fix/v1';
  plan: FixPlan;
  dryRun: boolean;
  applied: boolean;
  persistFile?: string;
  /** With --dry-run and --persist: the drop-in as it would be written. */
  dropin?: { path: string; text: string };
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
      .option('dry-run', { alias: 'n', type: 'boolean', default: false, describe: 'show the plan only (with --persist, also the drop-in it would write)' })
      .option('persist', { type: 'boolean', default: false, describe: `also write a sysctl.d drop-in so the values survive a reboot (${DEFAULT_DROPIN_PATH})` })
      .option('persist-file', { type: 'string', describe: 'path of the sysctl.d drop-in (implies --persist)' })
      .option('only', { type: 'string', array: true, describe: 'consider only these checks (comma-separated ids)' }),
  async run(options, output) {
    const only = parseOnly(options.only);
    if (options['persist-file'] === '') throw new UsageError('--persist-file needs a path');
    // --persist-file names where to persist, so it asks for persisting (as curl's -o implies saving).
    const persistPath = options['persist-file'] ?? (options.persist ? DEFAULT_DROPIN_PATH : undefined);
    const before = await auditHost(only);
    const plan = await planFixes(before);
    const json: FixJson = { schema: 'mptcp-doctor/fix/v1', plan, dryRun: options['dry-run'], applied: false, before: brief(before) };
    if (!options.json) output.out(renderPlan(plan, output));
    const finish = (code: (typeof ExitCode)[keyof typeof ExitCode]) => {
      if (options.json) output.out(JSON.stringify(json, null, 2));
      return code;
    };
    if (options['dry-run'] && persistPath !== undefined && plan.changes.length > 0) {
      json.dropin = { path: persistPath, text: await plannedDropin(plan, persistPath) };
      if (!options.json) output.out(`\nWould write ${persistPath}:\n${json.dropin.text.replace(/^/gm, '  ').trimEnd()}`);
    }
    if (plan.changes.length === 0 || options['dry-run']) {
      return finish(options['dry-run'] || summarize(before).ok ? ExitCode.ok : ExitCode.problem);
    }

    // Everything that could stop us is checked before the question (and again before the first change).
    const problems = await planObstacles(plan, persistPath);
    if (problems.length > 0) throw new CannotRunError(`${problems.join('; ')}; nothing was changed`);
    if (!options.yes) {
      if (!canAsk()) throw new UsageError('not a terminal: pass --yes to apply the plan, or --dry-run to only show it');
      if (!(await confirm(`Apply ${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'}?`))) {
        if (!options.json) output.out('Nothing changed.');
        return finish(ExitCode.problem);
      }
    }
    // All or nothing: a Ctrl-C while the plan is applied waits until it is (a few sysctl writes),
    // and the process then ends by the signal.
    const interrupt = claimInterrupts();
    try {
      await applyPlan(plan, persistPath);
    } catch (error) {
      if (error instanceof FixCannotRunError) throw new CannotRunError(error.message);
      throw error;
    } finally {
      interrupt.release();
    }
    if (interrupt.signal.aborted) {
      const { signal } = interrupt.signal.reason as InterruptedError;
      throw new InterruptedError(`${interruptionWord(signal)} after the plan was applied in full (check shows the result)`, signal);
    }
    json.applied = true;
    if (persistPath !== undefined) json.persistFile = persistPath;

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
