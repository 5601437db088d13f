// Terminal tables (package `table`) that fit 80 columns.
import { table, getBorderCharacters } from 'table';

export const TERMINAL_WIDTH = 80;

/**
 * Renders rows as a borderless table; the last column wraps so the whole fits `width`.
 * Column widths are the longest cell, except the last, which takes what is left.
 */
export function renderTable(rows: string[][], width = TERMINAL_WIDTH): string {
  if (rows.length === 0) return '';
  const columns = Math.max(...rows.map((row) => row.length));
  const normalized = rows.map((row) => Array.from({ length: columns }, (_, i) => row[i] ?? ''));
  const padding = 1;
  const natural = Array.from({ length: columns }, (_, i) => Math.max(1, ...normalized.map((row) => visibleLength(row[i]!))));
  const separators = (columns - 1) * (2 * padding + 1);
  const fixed = natural.slice(0, -1).reduce((a, b) => a + b, 0);
  const lastWidth = Math.max(10, Math.min(natural[columns - 1]!, width - fixed - separators - 2 * padding));
  return table(normalized, {
    border: getBorderCharacters('void'),
    drawHorizontalLine: () => false,
    columnDefault: { paddingLeft: 0, paddingRight: 2 },
    columns: { [columns - 1]: { width: lastWidth, wrapWord: true } },
  }).replace(/[ \t]+$/gm, '');
}

function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

// paint lives in its own module so that renderers of long listings need not load `table`.
export { paint } from './paint.js';
