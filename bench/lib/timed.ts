// One timed run of a program inside a lab namespace: wall time measured here (the same way for
// every program compared), peak RSS from GNU time (`/usr/bin/time -f %M`, Debian package `time`).
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Lab, NamespaceRef } from '../../test/lab/index.js';

export const GNU_TIME = '/usr/bin/time';

export interface TimedRun {
  argv: string[];
  exitCode: number | undefined;
  ok: boolean;
  wallMs: number;
  /** peak resident set size in bytes (GNU time %M), when asked for */
  peakRssBytes?: number;
  stdout: string;
  stderr: string;
  /** kernel stall counter deltas during the run (lib/stalls.ts), when asked for */
  stalls?: Record<string, number>;
}

let sequence = 0;

/**
 * Runs argv in namespace ns and measures it. With `rss`, the program runs under GNU time, which
 * writes its peak RSS (KiB) to a side file: its own output stays untouched.
 */
export async function timedRun(
  lab: Lab,
  ns: NamespaceRef,
  argv: readonly string[],
  options: { timeoutMs: number; rss?: boolean; cwd?: string },
): Promise<TimedRun> {
  sequence += 1;
  const rssFile = path.join(lab.tmpDir, `rss-${process.pid}-${sequence}.txt`);
  const full = options.rss ? [GNU_TIME, '-f', '%M', '-o', rssFile, ...argv] : [...argv];
  const started = performance.now();
  const r = await lab.exec(ns, full, { timeoutMs: options.timeoutMs, cwd: options.cwd });
  const wallMs = performance.now() - started;
  let peakRssBytes: number | undefined;
  if (options.rss) {
    try {
      // GNU time prints "Command exited with non-zero status N" before the figure when it fails.
      const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
      const kib = Number(lines[lines.length - 1]);
      if (Number.isFinite(kib) && kib > 0) peakRssBytes = kib * 1024;
    } catch {
      // no file: the program could not be started; the exit code says so
    }
    rmSync(rssFile, { force: true });
  }
  return { argv: [...argv], exitCode: r.exitCode, ok: r.ok && !r.timedOut, wallMs, peakRssBytes, stdout: r.stdout, stderr: r.stderr };
}

/** The last lines of a failed run, for the report. */
export function failureText(run: TimedRun): string {
  // A crash prints the error first and the stack after it: keep the first lines, not the stack's end.
  const lines = (run.stderr || run.stdout).trim().split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('at '));
  const tail = lines.slice(0, 3).join(' | ');
  return `\`${run.argv.slice(0, 3).join(' ')} ...\` exit ${run.exitCode ?? 'none'}${tail ? `: ${tail}` : ''}`;
}
