// Human rendering of a get/put result: what moved, how fast, and what each connection did.
import type { ConnectionRecord } from '../session/record.js';
import { connectionName } from '../verdict/connection-name.js';
import { formatBytes, renderConnection, stateWord } from './connection.js';
import { paint, TERMINAL_WIDTH } from './table.js';
import { wrapText } from './wrap.js';

export type TransferConnection = ConnectionRecord;

export interface TransferSummary {
  direction: 'download' | 'upload';
  /** Local path or "-". */
  local: string;
  /** URL without password. */
  remote: string;
  bytes: number;
  totalBytes: number;
  offset: number;
  durationMs: number;
  connections: TransferConnection[];
  notes: string[];
}

export function formatRate(bytes: number, durationMs: number): string {
  if (durationMs <= 0) return '-';
  const perSecond = (bytes * 1000) / durationMs;
  return `${formatBytes(Math.round(perSecond))}/s (${((perSecond * 8) / 1e6).toFixed(1)} Mbit/s)`;
}

/** The most subflows a connection had at once (1 for plain TCP). */
function mostSubflows(connection: TransferConnection): number {
  return Math.max(1, ...connection.samples.map((s) => s.subflows), connection.report?.state === 'mptcp' ? connection.report.subflows.total : 1);
}

function subflowCount(n: number): string {
  return `${n} subflow${n === 1 ? '' : 's'}`;
}

/** What happened to one connection that MPTCP did not fully hold, in a few words. */
function shortfall(connection: TransferConnection): string {
  const cause = connection.cause === 'none' ? '' : ` (${connection.cause})`;
  switch (connection.status) {
    case 'degraded':
      return `${connection.label} kept MPTCP with ${mostSubflows(connection)} of ${connection.expectedSubflows} subflows${cause}`;
    case 'fell-back':
      return `${connection.label} fell back to TCP${cause}`;
    case 'not-attempted':
      return `${connection.label} did not try MPTCP${cause}`;
    default:
      return `${connection.label} held`;
  }
}

/**
 * One line on MPTCP from the session's verdicts: held on every connection (with their subflows),
 * plain TCP as asked (--tcp), or which connections did not hold and why.
 */
export function mptcpLine(connections: readonly TransferConnection[], color: boolean): string {
  if (connections.length === 0) return paint(color, 'yellow', 'MPTCP: no connection was observed');
  if (connections.every((c) => c.status === 'held')) {
    return `${paint(color, 'green', 'MPTCP held on every connection')} (${connections.map((c) => `${c.label}: ${subflowCount(mostSubflows(c))}`).join(', ')})`;
  }
  if (connections.every((c) => c.status === 'not-attempted' && c.cause === 'none')) {
    return `${paint(color, 'yellow', 'plain TCP as asked (--tcp)')}: MPTCP not attempted`;
  }
  const failed = connections.filter((c) => c.status !== 'held');
  const held = connections.filter((c) => c.status === 'held');
  const first = failed[0]!;
  if (held.length === 0 && first.status === 'fell-back' && failed.every((c) => c.status === first.status && c.cause === first.cause)) {
    return `${paint(color, 'red', 'MPTCP fell back to TCP on every connection')}${first.cause === 'none' ? '' : ` (${first.cause})`}`;
  }
  const worst = failed.some((c) => c.status !== 'degraded') ? 'red' : 'yellow';
  const heldText = held.length > 0 ? `; ${held.map((c) => `${c.label} held (${subflowCount(mostSubflows(c))})`).join(', ')}` : '';
  return `${paint(color, worst, 'MPTCP did not hold on every connection')}: ${failed.map(shortfall).join(', ')}${heldText}`;
}

function headline(summary: TransferSummary): string {
  const verb = summary.direction === 'download' ? 'downloaded' : 'uploaded';
  const resumed = summary.offset > 0 ? ` (resumed at byte ${summary.offset} of ${formatBytes(summary.totalBytes)})` : '';
  return `${verb} ${formatBytes(summary.bytes)}${resumed} in ${(summary.durationMs / 1000).toFixed(2)} s, ${formatRate(summary.bytes, summary.durationMs)}`;
}

/** The default report: what moved and how fast; one line on MPTCP; the notes, if any. */
export function renderTransferSummary(summary: TransferSummary, color: boolean): string {
  const lines = [wrapText(headline(summary), TERMINAL_WIDTH, '  ', ''), wrapText(mptcpLine(summary.connections, color), TERMINAL_WIDTH, '  ', '')];
  for (const note of summary.notes) lines.push(wrapText(`note: ${note}`, TERMINAL_WIDTH, '  ', ''));
  return `${lines.join('\n')}\n`;
}

/** The full report (--verbose): the summary's lines, then every connection as `connect` shows one. */
export function renderTransfer(summary: TransferSummary, color: boolean): string {
  const verb = summary.direction === 'download' ? 'downloaded' : 'uploaded';
  const arrow = summary.direction === 'download' ? `${summary.remote} -> ${summary.local}` : `${summary.local} -> ${summary.remote}`;
  const lines = [
    `${verb} ${formatBytes(summary.bytes)} in ${(summary.durationMs / 1000).toFixed(2)} s, ${formatRate(summary.bytes, summary.durationMs)}`,
    `  ${arrow}`,
    wrapText(mptcpLine(summary.connections, color), TERMINAL_WIDTH, '  ', ''),
  ];
  if (summary.offset > 0) lines.push(`  resumed at byte ${summary.offset}; file is ${formatBytes(summary.totalBytes)}`);
  for (const connection of summary.connections) {
    const name = connectionName(connection, 'noun');
    if (!connection.report) {
      lines.push('', `${name}: not reported (no sample before it closed)`);
      continue;
    }
    const count = connection.report.subflows.total;
    const subflows = connection.report.state === 'mptcp' ? `, ${count} subflow${count === 1 ? '' : 's'}` : '';
    lines.push('', `${name}: ${stateWord(connection.report, color)}${subflows}`, renderConnection(connection.report, color).replace(/\n$/, ''));
  }
  for (const note of summary.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}
