// Human rendering of readiness check results: grouped by status (worst first), coloured, then the
// suggested fixes and a count line. Shared by `check` and `fix`.
import type { CheckResult, ResultStatus } from '../../checks/types.js';
import { paint, renderTable, TERMINAL_WIDTH } from './table.js';
import { wrapText } from './wrap.js';

export const STATUS_ORDER: readonly ResultStatus[] = ['error', 'fail', 'warn', 'pass', 'skip'];

const COLOURS: Record<ResultStatus, 'red' | 'yellow' | 'green' | 'dim'> = {
  error: 'red',
  fail: 'red',
  warn: 'yellow',
  pass: 'green',
  skip: 'dim',
};

export function statusWord(status: ResultStatus, color: boolean): string {
  return paint(color, COLOURS[status], status.toUpperCase());
}

/** One argument array as a shell would need it typed (for display only: we never run shell strings). */
export function formatCommand(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}


export function sortByStatus(results: readonly CheckResult[]): CheckResult[] {
  return [...results].sort((a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status));
}

export function renderCountLine(results: readonly CheckResult[], color: boolean): string {
  const parts = STATUS_ORDER.map((status) => {
    const count = results.filter((r) => r.status === status).length;
    const text = `${count} ${status}`;
    return count > 0 ? paint(color, COLOURS[status], text) : text;
  });
  return `${results.length} check${results.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

/**
 * The overall verdict in one line, before the table (as flutter doctor's summary): ready, ready
 * with warnings, or not ready, naming the checks that say so.
 */
export function renderHeadline(results: readonly CheckResult[], color: boolean): string {
  const ids = (status: ResultStatus) => results.filter((r) => r.status === status).map((r) => r.id);
  const [errors, fails, warns] = [ids('error'), ids('fail'), ids('warn')];
  const list = (names: string[], what: string) => `${names.length} ${what}${names.length === 1 ? '' : 's'} (${names.join(', ')})`;
  if (fails.length > 0 || errors.length > 0) {
    const parts = [...(fails.length > 0 ? [`${list(fails, 'check')} failed`] : []), ...(errors.length > 0 ? [`${list(errors, 'check')} could not run`] : [])];
    if (warns.length > 0) parts.push(list(warns, 'warning'));
    return `${paint(color, 'red', 'MPTCP is not ready on this host')}: ${parts.join('; ')}`;
  }
  if (warns.length > 0) return `${paint(color, 'yellow', 'MPTCP works on this host')}: ${list(warns, 'warning')}`;
  const passed = ids('pass').length;
  return `${paint(color, 'green', 'MPTCP is ready on this host')}: ${passed} check${passed === 1 ? '' : 's'} passed`;
}

export interface RenderChecksOptions {
  color: boolean;
  /** Evidence lines under each check. */
  verbose?: boolean;
}

export function renderChecks(results: readonly CheckResult[], options: RenderChecksOptions): string {
  const rows: string[][] = [];
  for (const result of sortByStatus(results)) {
    rows.push([statusWord(result.status, options.color), result.id, result.summary]);
    if (options.verbose) for (const line of result.evidence) rows.push(['', '', paint(options.color, 'dim', `· ${line}`)]);
  }
  const blocks = [wrapText(renderHeadline(results, options.color), TERMINAL_WIDTH, '  ', ''), renderTable(rows).replace(/\n+$/, '')];
  const fixes = sortByStatus(results).filter((r) => (r.status === 'fail' || r.status === 'warn') && r.fix);
  if (fixes.length > 0) {
    const lines = ['Suggested fixes (mptcp-doctor fix applies the sysctls; run the rest yourself):'];
    for (const result of fixes) {
      lines.push(`  ${paint(options.color, 'bold', result.id)}:`);
      lines.push(wrapText(result.fix!.advice, TERMINAL_WIDTH, '    '));
      for (const command of result.fix!.commands) lines.push(`    $ ${formatCommand(command)}`);
    }
    blocks.push(lines.join('\n'));
  }
  blocks.push(renderCountLine(results, options.color));
  return blocks.join('\n\n');
}

export { wrapText };
