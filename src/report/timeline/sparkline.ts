// The same series in the terminal: one line of block characters per subflow, bytes carried per time
// slice, on one scale for the whole connection (a subflow half as busy draws half as high). A
// subflow that stopped draws blanks from then on.
import { paint } from '../paint.js';
import { formatBytes } from '../units.js';
import { bucketBytes, totalBytes } from './series.js';
import type { SessionTimeline, TimelineConnection } from './session-timeline.js';

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/** Columns for the blocks at most; fewer when the local addresses are long (lines fit 80 columns). */
export const SPARKLINE_WIDTH = 28;
const LINE_WIDTH = 80;
const INDENT = '    ';
/** Indent, blocks, a space, the byte count (9), two spaces, the local address. */
const FIXED = INDENT.length + 1 + 9 + 2;

/**
 * Block characters for `values` on the scale 0..`max`: a blank for nothing (or no data yet), the
 * lowest block for anything above zero, so that a trickle never looks like a stop.
 */
export function sparkline(values: ReadonlyArray<number | undefined>, max = Math.max(0, ...values.map((v) => v ?? 0))): string {
  return values
    .map((value) => {
      if (value === undefined || value <= 0 || max <= 0) return ' ';
      const level = Math.ceil((value / max) * BLOCKS.length) - 1;
      return BLOCKS[Math.min(BLOCKS.length - 1, Math.max(0, level))]!;
    })
    .join('');
}

function slices(connection: TimelineConnection, width: number): number {
  // No more slices than the probe's looks: three looks do not make 28 slices of information.
  const looks = new Set(connection.subflows.flatMap((s) => s.points.map((p) => p.atMs))).size;
  return Math.max(1, Math.min(width, looks - 1));
}

/** Lines for one connection, or none when its subflows carried nothing. */
export function connectionSparklines(connection: TimelineConnection, color: boolean, width = SPARKLINE_WIDTH): string[] {
  const spanMs = connection.endMs - connection.startMs;
  if (spanMs <= 0 || connection.subflows.length === 0) return [];
  const longestKey = Math.max(...connection.subflows.map((s) => s.key.length));
  const columns = Math.max(8, Math.min(width, LINE_WIDTH - FIXED - longestKey));
  const n = slices(connection, columns);
  const rows = connection.subflows.map((subflow) => ({ subflow, values: bucketBytes(subflow.points, connection.startMs, connection.endMs, n) }));
  const max = Math.max(0, ...rows.flatMap((row) => row.values.map((v) => v ?? 0)));
  if (max <= 0) return [];
  const sliceMs = Math.round(spanMs / n);
  const lines = [`  ${connection.label} (${connection.startMs}-${connection.endMs} ms, a block per ${sliceMs} ms):`];
  for (const { subflow, values } of rows) {
    const line = `${INDENT}${paint(color, 'blue', sparkline(values, max).padEnd(columns))} ${formatBytes(totalBytes(subflow.points)).padStart(9)}  ${subflow.key}`;
    const visible = FIXED + columns + subflow.key.length;
    const notes = connection.markers
      .filter((m) => m.subflow === subflow.key && m.kind !== 'subflow-joined')
      .map((m) => ({ text: `${m.label} at ${m.atMs} ms`, color: m.kind === 'subflow-stalled' ? ('yellow' as const) : ('red' as const) }));
    const noteText = notes.map((n) => n.text).join(', ');
    const painted = notes.map((n) => paint(color, n.color, n.text)).join(', ');
    if (notes.length === 0) lines.push(line);
    else if (visible + 2 + noteText.length <= LINE_WIDTH) lines.push(`${line}  ${painted}`);
    else lines.push(line, `${INDENT}  ${painted}`);
  }
  const fellBack = connection.markers.find((m) => m.kind === 'fell-back');
  if (fellBack) lines.push(`${INDENT}${paint(color, 'red', `${fellBack.label} at ${fellBack.atMs} ms`)}`);
  return lines;
}

/** Below this a connection carried commands or a digest, not a transfer worth a picture. */
const TRANSFER_BYTES = 64 * 1024;

function carried(connection: TimelineConnection): number {
  return connection.subflows.reduce((sum, s) => sum + totalBytes(s.points), 0);
}

/**
 * Sparklines for the data connections that moved a transfer (every connection with `all`): the
 * control connection and a digest download carry a few hundred bytes, left out unless asked for.
 */
export function renderSparklines(timeline: SessionTimeline, color: boolean, all = false): string {
  const lines: string[] = [];
  for (const group of timeline.groups) {
    const connections = group.connections.filter((c) => all || (c.role === 'data' && carried(c) >= TRANSFER_BYTES));
    const block = connections.flatMap((c) => connectionSparklines(c, color));
    if (block.length === 0) continue;
    lines.push(`${group.label}, per subflow:`, ...block);
  }
  return lines.join('\n');
}
