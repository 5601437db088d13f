// A command on a real pseudo-terminal (test/support/pty-run.py), for what only a terminal shows:
// progress bars, prompts without echo, colour, Ctrl-C typed at the keyboard.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const helper = path.join(import.meta.dirname, 'pty-run.py');
/** The system's interpreter when there is one: a version manager's shim can take seconds to start. */
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface PtyOptions {
  cols?: number;
  rows?: number;
  /** 'pipe': the command's stdout is not the terminal (captured apart from the transcript). */
  stdout?: 'pty' | 'pipe';
  stderr?: 'pty' | 'pipe';
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The whole run; the command is killed (SIGKILL) past it. */
  timeoutMs?: number;
}

export interface PtyResult {
  /** What the terminal received, escape sequences included. */
  transcript: string;
  /** Its length in bytes (binary data decodes to fewer characters). */
  transcriptBytes: number;
  /** With stdout: 'pipe' / stderr: 'pipe', what went there. */
  stdout: string;
  stderr: string;
  /** As a shell reports it: 128 + N after signal N. */
  exitCode: number;
}

export interface PtySession {
  /** Types on the terminal: '\r' is Enter, '\x03' is Ctrl-C. */
  write(text: string): void;
  /**
   * Resolves once the transcript (or the piped stdout/stderr) matches; rejects past the timeout,
   * saying what it saw.
   */
  waitFor(pattern: RegExp, options?: { timeoutMs?: number; in?: 'transcript' | 'stdout' | 'stderr' }): Promise<string>;
  /** Sends a signal to the command (through the helper, which passes it on). */
  kill(signal: NodeJS.Signals): void;
  transcript(): string;
  result: Promise<PtyResult>;
}

export function spawnPty(argv: string[], options: PtyOptions = {}): PtySession {
  const config = { argv, cols: options.cols ?? 80, rows: options.rows ?? 24, stdout: options.stdout ?? 'pty', stderr: options.stderr ?? 'pty' };
  const child = spawn(python, [helper, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  let transcript = '';
  let transcriptBytes = 0;
  let stdout = '';
  let stderr = '';
  let helperErrors = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    transcript += chunk.toString('utf8');
    transcriptBytes += chunk.length;
    for (const waiter of waiters) waiter();
  });
  child.stderr!.on('data', (chunk: Buffer) => (helperErrors += chunk.toString()));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const waiter of waiters) waiter();
  });
  (child.stdio[4] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    for (const waiter of waiters) waiter();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const result = new Promise<PtyResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') reject(new Error(`pty run of ${argv.join(' ')} timed out; transcript:\n${transcript}`));
      else if (code === null) reject(new Error(`pty helper ended by ${signal}: ${helperErrors}`));
      else resolve({ transcript, transcriptBytes, stdout, stderr: stderr + helperErrors, exitCode: code });
    });
  });
  result.catch(() => undefined);
  return {
    write: (text) => child.stdin!.write(text),
    kill: (signal) => child.kill(signal),
    transcript: () => transcript,
    result,
    waitFor(pattern, { timeoutMs = 20_000, in: where = 'transcript' } = {}) {
      const text = () => (where === 'stdout' ? stdout : where === 'stderr' ? stderr : transcript);
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text());
          if (!match) return;
          waiters.delete(check);
          clearTimeout(giveUp);
          resolve(match[0]);
        };
        const giveUp = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern} in the ${where} within ${timeoutMs} ms; it has:\n${text()}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Runs to the end with `input` typed at once (then nothing more). */
export async function runPty(argv: string[], options: PtyOptions & { input?: string } = {}): Promise<PtyResult> {
  const session = spawnPty(argv, options);
  if (options.input) session.write(options.input);
  return session.result;
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>78]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/**
 * Every state of a redrawn line (a progress bar returns to column 1 with \r or ESC[1G, or
 * ESC[0G, and redraws), as plain text: what the user saw, one frame per entry.
 */
export function frames(transcript: string): string[] {
  return transcript
    .split(/\r|\n|\x1b\[[01]?G/)
    .map(stripAnsi)
    .filter((frame) => frame.trim() !== '');
}
