// mptcp-doctor check (and plain `mptcp-doctor`): the host readiness audit. Runs every check of
// checks/registry.ts together and reports them as a table, JSON or Prometheus text.
import { auditHost } from '../../../checks/audit.js';
import { checkIds } from '../../../checks/registry.js';
import { summarize, type CheckSummary } from '../../../checks/runner.js';
import type { CheckResult } from '../../../checks/types.js';
import { renderChecks } from '../../report/checks.js';
import { renderPrometheus } from '../../report/prometheus.js';
import { parseOnly } from '../check-selection.js';
import { defineCommand } from '../command.js';
import { emitReport } from '../output.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

export interface CheckJson {
  schema: 'mptcp-doctor/check/v1';
  checks: CheckResult[];
  summary: CheckSummary;
  durationMs: number;
}

export const checkCommand = defineCommand({
  command: ['check', '$0'],
  describe: 'audit this host: is it ready for MPTCP, and what to do when not',
  builder: (y) =>
    y
      .option('only', { type: 'string', array: true, describe: `run only these checks (comma-separated ids: ${checkIds.join(', ')})` })
      .option('format', { type: 'string', choices: ['table', 'json', 'prometheus'] as const, describe: 'output format (default table; --json = --format json)' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the report to FILE atomically (for node_exporter textfile collector)' }),
  async run(options, output) {
    const only = parseOnly(options.only);
    const format = options.format ?? (options.json ? 'json' : 'table');
    if (options.json && options.format && options.format !== 'json') throw new UsageError('--json conflicts with --format ' + options.format);
    if (options.output === '') throw new UsageError('--output needs a file name');
    const started = performance.now();
    const results = await auditHost(only);
    const summary = summarize(results);
    let text: string;
    if (format === 'json') {
      const json: CheckJson = { schema: 'mptcp-doctor/check/v1', checks: results, summary, durationMs: Math.round(performance.now() - started) };
      text = `${JSON.stringify(json, null, 2)}\n`;
    } else if (format === 'prometheus') {
      text = renderPrometheus(results);
    } else {
      text = `${renderChecks(results, { color: output.color && !options.output, verbose: options.verbose })}\n`;
    }
    await emitReport(output, text, options.output, options.verbose);
    return summary.ok ? ExitCode.ok : ExitCode.problem;
  },
});
