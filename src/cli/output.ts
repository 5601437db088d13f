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

export function processOutput(): Output {
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    log: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    color: Boolean(process.stdout.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb',
    progress: Boolean(process.stderr.isTTY),
  };
}

/** Exactly one JSON object on stdout for --json. */
export function writeJson(output: Output, value: unknown): void {
  output.out(JSON.stringify(value, null, 2));
}
