// Running programs inside a network namespace: `ip netns exec NS argv...` through execa with an
// argument array. `ip netns exec` execs the command in place (no extra fork), so the pid execa
// reports is the program's own pid, which is what we kill later.
import { execa, type ResultPromise } from 'execa';

export interface ExecOptions {
  /** Kill the program (SIGTERM, then SIGKILL 1 s later) after this long. Default 20 s. */
  timeoutMs?: number;
  input?: string | Buffer;
  env?: Record<string, string>;
  cwd?: string;
  /** Throw LabCommandError when the exit code is not 0 (default false: the result says what happened). */
  check?: boolean;
}

export interface ExecResult {
  argv: string[];
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** exitCode === 0 */
  ok: boolean;
  durationMs: number;
}

export const DEFAULT_EXEC_TIMEOUT_MS = 20_000;

export class LabCommandError extends Error {
  constructor(readonly result: ExecResult) {
    const why = result.timedOut ? 'timed out' : result.signal ? `killed by ${result.signal}` : `exit ${result.exitCode}`;
    const detail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join(' | ');
    super(`lab: \`${result.argv.join(' ')}\` failed (${why})${detail ? `: ${detail}` : ''}`);
    this.name = 'LabCommandError';
  }
}

/** Argument vector that runs argv inside namespace ns (or on the host when ns is undefined). */
export function inNamespace(ns: string | undefined, argv: readonly string[]): string[] {
  if (argv.length === 0) throw new Error('lab: empty command');
  return ns === undefined ? [...argv] : ['ip', 'netns', 'exec', ns, ...argv];
}

function toResult(argv: string[], r: {
  exitCode?: number; signal?: string; stdout?: unknown; stderr?: unknown; timedOut?: boolean; durationMs?: number;
}): ExecResult {
  return {
    argv,
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    timedOut: r.timedOut === true,
    ok: r.exitCode === 0,
    durationMs: r.durationMs ?? 0,
  };
}

/** Run to completion and collect output. */
export async function execIn(ns: string | undefined, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const full = inNamespace(ns, argv);
  const r = await execa(full[0]!, full.slice(1), {
    reject: false,
    timeout: options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
    forceKillAfterDelay: 1000,
    input: options.input,
    env: options.env,
    cwd: options.cwd,
    stripFinalNewline: false,
    // stdin is closed unless input is given: a program waiting on a terminal must not hang a test.
    stdin: options.input === undefined ? 'ignore' : 'pipe',
  });
  const result = toResult(full, r as never);
  if (options.check && !result.ok) throw new LabCommandError(result);
  return result;
}

/** Start without waiting; the caller owns the subprocess (see process.ts for the managed version). */
export function spawnIn(ns: string | undefined, argv: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): ResultPromise {
  const full = inNamespace(ns, argv);
  return execa(full[0]!, full.slice(1), {
    reject: false,
    env: options.env,
    cwd: options.cwd,
    stdin: 'ignore',
    buffer: false,
    // Killed with the test process even if nobody calls stop() (execa's signal-exit cleanup).
    cleanup: true,
  });
}

export function resultOf(argv: string[], r: unknown): ExecResult {
  return toResult(argv, r as never);
}
