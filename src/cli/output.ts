// Where output goes: reports on stdout, logs and progress on stderr (docs/architecture.md, "Conventions").
export interface Output {
  /** A line (or block) of the report, stdout. */
  out(text: string): void;
  /** A log line, stderr. */
  log(text: string): void;
  /** Colour only on a TTY stdout and without NO_COLOR. */
  color: boolean;
  /** Progress bars only on a TTY stderr. */
  progress: boolean;
}

/** Whether the command line turns colour off: the last of --color, --no-color, --color=BOOL wins. */
export function colorRefused(args: readonly string[]): boolean {
  let refused = false;
  for (const arg of args) {
    if (arg === '--') break;
    if (arg === '--no-color') refused = true;
    else if (arg === '--color') refused = false;
    else if (arg.startsWith('--color=')) refused = ['false', '0', 'no', 'never'].includes(arg.slice('--color='.length).toLowerCase());
  }
  return refused;
}

/** stdout and stderr of this process; `noColor` is --no-color (NO_COLOR and TERM=dumb count too). */
export function processOutput(options: { noColor?: boolean } = {}): Output {
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    log: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    // NO_COLOR: any value but the empty string (no-color.org).
    color: Boolean(process.stdout.isTTY) && !options.noColor && !process.env.NO_COLOR && process.env.TERM !== 'dumb',
    progress: Boolean(process.stderr.isTTY),
  };
}

/** Exactly one JSON object on stdout for --json. */
export function writeJson(output: Output, value: unknown): void {
  output.out(JSON.stringify(value, null, 2));
}
