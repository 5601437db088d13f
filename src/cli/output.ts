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

/**
 * A report to --output FILE (written atomically: a textfile collector never reads half of it) or,
 * without it, to stdout. A file that cannot be written means the tool could not finish (exit 3).
 */
export async function emitReport(output: Output, text: string, file: string | undefined, verbose: boolean): Promise<void> {
  if (!file) {
    output.out(text);
    return;
  }
  const { writeFileAtomic } = await import('../sys/atomic-write.js');
  const { CannotRunError } = await import('./errors.js');
  try {
    await writeFileAtomic(file, text);
  } catch (error) {
    throw new CannotRunError(`cannot write ${file}: ${(error as { code?: string }).code ?? (error as Error).message}`);
  }
  if (verbose) output.log(`wrote ${file}`);
}
