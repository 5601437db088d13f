// Human rendering of the fleet report: a check x host matrix (split into several when the hosts do
// not fit 80 columns), the hosts grouped by the problems they share, and the files skipped.
import type { ResultStatus } from '../../checks/types.js';
import { statusWord } from './checks.js';
import type { FleetReport, HostReport, ProblemGroup } from './fleet.js';
import { paint, TERMINAL_WIDTH } from './table.js';
import { wrapText } from './wrap.js';

const CHECK_STATUSES: readonly string[] = ['pass', 'warn', 'fail', 'skip', 'error'];
const LABEL_MAX = 28;
const GAP = 2;

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** A status as a cell: check statuses as `check` prints them, probe verdicts by name. */
function statusCell(status: string | undefined, color: boolean): string {
  if (status === undefined) return paint(color, 'dim', '-');
  if (CHECK_STATUSES.includes(status)) return statusWord(status as ResultStatus, color);
  return paint(color, status === 'held' ? 'green' : 'red', status);
}

function pad(text: string, visible: number, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visible));
}

interface Row {
  label: string;
  cell(host: HostReport): string | undefined;
}

function matrixRows(report: FleetReport): Row[] {
  const rows: Row[] = report.checkIds.map((id) => ({ label: id, cell: (host) => host.checks.find((c) => c.id === id)?.status }));
  const targets = [...new Set(report.hosts.flatMap((h) => h.probes.map((p) => p.target)))];
  for (const target of targets) {
    rows.push({
      label: targets.length === 1 ? 'probe' : `probe ${target}`,
      // Several probes of one host to one target: the worst counts.
      cell: (host) => {
        const probes = host.probes.filter((p) => p.target === target);
        return probes.length === 0 ? undefined : (probes.find((p) => !p.held) ?? probes[0]!).status;
      },
    });
  }
  return rows;
}

/** The matrix, as many blocks of host columns as 80 columns need. */
export function renderMatrix(report: FleetReport, color: boolean, width = TERMINAL_WIDTH): string {
  const rows = matrixRows(report);
  if (rows.length === 0 || report.hosts.length === 0) return '';
  const labelWidth = Math.min(LABEL_MAX, Math.max(5, ...rows.map((r) => r.label.length)));
  const columnWidth = (host: HostReport) => Math.max(host.host.length, 'ERROR'.length, ...rows.map((r) => r.cell(host)?.length ?? 1));
  const blocks: string[] = [];
  let start = 0;
  while (start < report.hosts.length) {
    let used = labelWidth;
    let end = start;
    while (end < report.hosts.length && (end === start || used + GAP + columnWidth(report.hosts[end]!) <= width)) {
      used += GAP + columnWidth(report.hosts[end]!);
      end += 1;
    }
    const hosts = report.hosts.slice(start, end);
    const lines: string[] = [];
    const header = [pad('', 0, labelWidth), ...hosts.map((h) => pad(paint(color, 'bold', h.host), h.host.length, columnWidth(h)))];
    lines.push(header.join(' '.repeat(GAP)));
    for (const row of rows) {
      const label = truncate(row.label, labelWidth);
      const cells = hosts.map((host) => {
        const status = row.cell(host);
        return pad(statusCell(status, color), status?.length ?? 1, columnWidth(host));
      });
      lines.push([pad(label, label.length, labelWidth), ...cells].join(' '.repeat(GAP)));
    }
    blocks.push(lines.map((line) => line.replace(/\s+$/, '')).join('\n'));
    start = end;
  }
  return blocks.join('\n\n');
}

function problemWord(status: string, color: boolean): string {
  return CHECK_STATUSES.includes(status) ? statusWord(status as ResultStatus, color) : paint(color, 'red', status.toUpperCase());
}

function renderGroup(group: ProblemGroup, color: boolean, width: number): string {
  const count = `${group.hosts.length} host${group.hosts.length === 1 ? '' : 's'}`;
  if (group.problems.length === 0) return wrapText(`${count} without problems: ${group.hosts.join(', ')}`, width, '    ', '  ');
  const lines = [wrapText(`${count}: ${group.hosts.join(', ')}`, width, '    ', '  ')];
  for (const problem of group.problems) {
    const word = problemWord(problem.status, color);
    lines.push(wrapText(problem.summary ? `${problem.id}: ${problem.summary}` : problem.id, width, '          ', `    ${word} `));
  }
  return lines.join('\n');
}

export function renderSummaryLine(report: FleetReport, color: boolean): string {
  const { hosts, failing, warning, ok } = report.summary;
  const parts = [
    paint(color && failing > 0, 'red', `${failing} failing`),
    paint(color && warning > 0, 'yellow', `${warning} with warnings`),
    paint(color && ok > 0, 'green', `${ok} ok`),
  ];
  return `${hosts} host${hosts === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

export function renderFleet(report: FleetReport, options: { color: boolean; width?: number }): string {
  const width = options.width ?? TERMINAL_WIDTH;
  const blocks: string[] = [];
  const matrix = renderMatrix(report, options.color, width);
  if (matrix) blocks.push(matrix);
  if (report.groups.length > 0) {
    blocks.push(`Hosts by problem:\n${report.groups.map((g) => renderGroup(g, options.color, width)).join('\n\n')}`);
  }
  if (report.skipped.length > 0) {
    const lines = [`Skipped ${report.skipped.length} file${report.skipped.length === 1 ? '' : 's'}:`];
    for (const skip of report.skipped) lines.push(wrapText(`${skip.file}: ${skip.reason}`, width, '      ', '  '));
    blocks.push(lines.join('\n'));
  }
  blocks.push(renderSummaryLine(report, options.color));
  return `${blocks.join('\n\n')}\n`;
}
