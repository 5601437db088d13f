// mptcp-doctor report FILE|DIR...: the fleet view. Merges many hosts' `check --json` and
// `probe --json` results (what the Ansible playbook in contrib/ansible fetches) into one host x check
// table, the hosts grouped by the problems they share, or one JSON object; and renders one host's
// results as a node_exporter textfile. Files that are not whole results of ours are named and skipped.
import { buildFleetReport } from '../../report/fleet.js';
import { readResultFiles } from '../../report/fleet-files.js';
import { renderHostPrometheus } from '../../report/fleet-prometheus.js';
import { renderFleet } from '../../report/fleet-table.js';
import { defineCommand } from '../command.js';
import { emitReport } from '../output.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

interface ReportOptions {
  paths: string[];
  format?: 'table' | 'json' | 'prometheus';
  output?: string;
}

export const reportCommand = defineCommand<ReportOptions>({
  command: 'report <paths..>',
  describe: 'merge many hosts\' check and probe --json results into one fleet view',
  builder: (y) =>
    y
      .positional('paths', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'result files, or directories searched for *.json; the host is DIR/HOST/check.json\'s HOST, else the file name (HOST.json, HOST.check.json, HOST.probe.json)',
      })
      .option('format', { type: 'string', choices: ['table', 'json', 'prometheus'] as const, describe: 'output format (default table; --json = --format json; prometheus: one host\'s textfile)' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the report to FILE atomically (for node_exporter textfile collector)' }),
  async run(options, output) {
    const format = options.format ?? (options.json ? 'json' : 'table');
    if (options.json && options.format && options.format !== 'json') throw new UsageError(`--json conflicts with --format ${options.format}`);
    if (options.output === '') throw new UsageError('--output needs a file name');
    const paths = options.paths.map(String);
    const { files, unreadable } = readResultFiles(paths);
    const report = buildFleetReport(files, unreadable);
    // The table lists skipped files itself; JSON and textfiles have no room a person reads.
    if (format !== 'table') for (const skip of report.skipped) output.log(`mptcp-doctor: skipped ${skip.file}: ${skip.reason}`);
    if (report.hosts.length === 0) {
      throw new UsageError(`no check or probe results in ${paths.join(' ')}${report.skipped.length > 0 ? ` (${report.skipped.length} file${report.skipped.length === 1 ? '' : 's'} skipped)` : ''}`);
    }
    let text: string;
    if (format === 'json') {
      text = `${JSON.stringify(report, null, 2)}\n`;
    } else if (format === 'prometheus') {
      if (report.hosts.length > 1) {
        const names = report.hosts.map((h) => h.host);
        throw new UsageError(`--format prometheus writes one host's textfile; these results are from ${names.length} hosts (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''})`);
      }
      text = renderHostPrometheus(report.hosts[0]!);
    } else {
      text = renderFleet(report, { color: output.color && !options.output });
    }
    await emitReport(output, text, options.output, options.verbose);
    return report.summary.allOk ? ExitCode.ok : ExitCode.problem;
  },
});
