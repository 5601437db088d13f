// Plain padded columns for long listings (thousands of rows): the `table` package measures and
// wraps every cell, which costs seconds at that size; this only pads.

export interface ColumnOptions {
  /** Right-align these column indexes (numbers). */
  right?: readonly number[];
  indent?: string;
  gap?: number;
}

export function formatColumns(rows: readonly (readonly string[])[], options: ColumnOptions = {}): string {
  if (rows.length === 0) return '';
  const columns = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(0, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const right = new Set(options.right ?? []);
  const gap = ' '.repeat(options.gap ?? 2);
  const indent = options.indent ?? '';
  return rows
    .map((row) => indent + row.map((cell, i) => {
      const pad = ' '.repeat(widths[i]! - visibleLength(cell));
      if (i === row.length - 1 && !right.has(i)) return cell;
      return right.has(i) ? pad + cell : cell + pad;
    }).join(gap).replace(/\s+$/, ''))
    .join('\n');
}

function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.includes('\x1b') ? text.replace(/\x1b\[[0-9;]*m/g, '').length : text.length;
}
