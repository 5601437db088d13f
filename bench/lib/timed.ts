// One timed run of a program inside a lab namespace: wall time measured here (the same way for
// every program compared); CPU time (user + sys, children included) and peak RSS from GNU time
// (`/usr/bin/time`, Debian package `time`). CPU time is what a busy shared machine distorts least:
// wall time there measures the other tenants as much as the program.
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Lab, NamespaceRef } from '../../test/lab/index.js';

/** Where runs are made: a lab, or anything that runs argv in a namespace and has a scratch directory (the fleet). */
export type Runner = Pick<Lab, 'exec' | 'tmpDir'>;

export const GNU_TIME = '/usr/bin/time';

export interface TimedRun {
  argv: string[];
  exitCode: number | undefined;
  ok: boolean;
  wallMs: number;
  /** peak resident set size in bytes (GNU time %M) */
  peakRssBytes?: number;
  /** user + system CPU time in ms (GNU time %U + %S: the program and the children it waited for) */
  cpuMs?: number;
  /** 1-minute load average when the run started */
  load: number;
  stdout: string;
  stderr: string;
  /** kernel stall counter deltas during the run (lib/stalls.ts), when asked for */
  stalls?: Record<string, number>;
}

export interface GnuTimeFigures {
  peakRssBytes?: number;
  cpuMs?: number;
}

/** What GNU time wrote with -f '%M %U %S': peak RSS (KiB) and CPU seconds; nothing from a file it did not finish. */
export function parseGnuTime(text: string): GnuTimeFigures {
  // GNU time prints "Command exited with non-zero status N" before the figures when it fails.
  const [kib, user, sys] = text.trim().split('\n').pop()!.split(' ').map(Number);
  const figures: GnuTimeFigures = {};
  if (kib !== undefined && Number.isFinite(kib) && kib > 0) figures.peakRssBytes = kib * 1024;
  if (user !== undefined && sys !== undefined && Number.isFinite(user + sys)) figures.cpuMs = Math.round((user + sys) * 1000);
  return figures;
}

let sequence = 0;

/**
 * Runs argv in namespace ns and measures it. The program runs under GNU time, which writes its peak
 * RSS (KiB) and CPU times to a side file: its own output stays untouched. (`rss` is kept for the
 * callers that name it: every run is measured the same way now.)
 */
export async function timedRun(
  lab: Runner,
  ns: NamespaceRef,
  argv: readonly string[],
  options: { timeoutMs: number; rss?: boolean; cwd?: string },
): Promise<TimedRun> {
  sequence += 1;
  const rssFile = path.join(lab.tmpDir, `rss-${process.pid}-${sequence}.txt`);
  const full = [GNU_TIME, '-f', '%M %U %S', '-o', rssFile, ...argv];
  const load = os.loadavg()[0]!;
  const started = performance.now();
  const r = await lab.exec(ns, full, { timeoutMs: options.timeoutMs, cwd: options.cwd });
  const wallMs = performance.now() - started;
  let measured: GnuTimeFigures = {};
  try {
    measured = parseGnuTime(readFileSync(rssFile, 'utf8'));
  } catch {
    // no file: the program could not be started; the exit code says so
  }
  const { peakRssBytes, cpuMs } = measured;
  rmSync(rssFile, { force: true });
  return { argv: [...argv], exitCode: r.exitCode, ok: r.ok && !r.timedOut, wallMs, peakRssBytes, cpuMs, load, stdout: r.stdout, stderr: r.stderr };
}

/** The last lines of a failed run, for the report. */
export function failureText(run: TimedRun): string {
  // A crash prints the error first and the stack after it: keep the first lines, not the stack's end.
  const lines = (run.stderr || run.stdout).trim().split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('at '));
  const tail = lines.slice(0, 3).join(' | ');
  return `\`${run.argv.slice(0, 3).join(' ')} ...\` exit ${run.exitCode ?? 'none'}${tail ? `: ${tail}` : ''}`;
}
