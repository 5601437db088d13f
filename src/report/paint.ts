// ANSI colour, applied only when the output allows it (TTY, no NO_COLOR).
export function paint(enabled: boolean, color: 'red' | 'green' | 'yellow' | 'blue' | 'dim' | 'bold', text: string): string {
  if (!enabled) return text;
  const codes = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;
  return `\x1b[${codes[color]}m${text}\x1b[0m`;
}
