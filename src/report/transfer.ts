// Human rendering of a get/put result: what moved, how fast, and what each connection did.
import type { ConnectionRecord } from '../session/record.js';
import { formatBytes, renderConnection, stateWord } from './connection.js';

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

export function renderTransfer(summary: TransferSummary, color: boolean): string {
  const verb = summary.direction === 'download' ? 'downloaded' : 'uploaded';
  const arrow = summary.direction === 'download' ? `${summary.remote} -> ${summary.local}` : `${summary.local} -> ${summary.remote}`;
  const lines = [
    `${verb} ${formatBytes(summary.bytes)} in ${(summary.durationMs / 1000).toFixed(2)} s, ${formatRate(summary.bytes, summary.durationMs)}`,
    `  ${arrow}`,
  ];
  if (summary.offset > 0) lines.push(`  resumed at byte ${summary.offset}; file is ${formatBytes(summary.totalBytes)}`);
  for (const connection of summary.connections) {
    const name = connection.role === 'control' ? 'control connection' : `data connection (${connection.mode ?? '?'})`;
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
