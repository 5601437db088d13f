// The one way src/sys runs a program: execa with an argument array (never a shell string) and a timeout.
// execa is imported lazily: `check` with only /proc readers should not pay for loading it.

export interface ProgramResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Raised when a program cannot be started, times out, or exits non-zero (with its stderr). */
export class ProgramError extends Error {
  constructor(
    message: string,
    readonly command: string[],
    readonly exitCode?: number,
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'ProgramError';
  }
}

export const DEFAULT_PROGRAM_TIMEOUT_MS = 5_000;

export async function runProgram(file: string, args: string[], options: { timeoutMs?: number } = {}): Promise<ProgramResult> {
  const { execa } = await import('execa');
  const command = [file, ...args];
  const result = await execa(file, args, {
    reject: false,
    timeout: options.timeoutMs ?? DEFAULT_PROGRAM_TIMEOUT_MS,
    stdin: 'ignore',
    // LC_ALL=C: error texts we show or match are the untranslated ones.
    env: { LC_ALL: 'C' },
  });
  if (result.timedOut) throw new ProgramError(`${command.join(' ')}: timed out`, command);
  if (result.failed && result.exitCode === undefined) {
    const reason = (result as { code?: string }).code === 'ENOENT' ? 'not found' : result.shortMessage;
    throw new ProgramError(`${file}: ${reason}`, command);
  }
  const stderr = String(result.stderr ?? '').trim();
  if (result.exitCode !== 0) {
    throw new ProgramError(`${command.join(' ')}: ${stderr.split('\n')[0] || `exit ${result.exitCode}`}`, command, result.exitCode, stderr);
  }
  return { stdout: String(result.stdout ?? ''), stderr, exitCode: result.exitCode };
}
