// --report FILE: checked before the command does its work (a typo should not cost a whole probe),
// written after it. The HTML renderer, and the charting library with it, load only here.
import { stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileWriteProblem, writeFileAtomic } from '../sys/atomic-write.js';
import type { HtmlPageOptions } from './timeline/html-page.js';
import type { SessionTimeline } from './timeline/session-timeline.js';

/** The --report argument cannot be used (the command makes it a usage error). */
export class ReportPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportPathError';
  }
}

/** The report could not be written after the work was done (the command makes it exit 3). */
export class ReportWriteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReportWriteError';
  }
}

export interface ReportTarget {
  path: string;
  /** A device or FIFO (/dev/stdout): written in place, never replaced by a rename. */
  inPlace: boolean;
}

export async function checkReportPath(value: unknown): Promise<ReportTarget> {
  if (Array.isArray(value)) throw new ReportPathError('give --report once');
  if (typeof value !== 'string' || value.trim() === '') throw new ReportPathError('--report needs a file name, e.g. --report probe.html');
  const path = resolve(value);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new ReportPathError(`--report ${value} is a directory: give a file name`);
  if (existing && !existing.isFile()) return { path, inPlace: true };
  const problem = await fileWriteProblem(path);
  if (problem) throw new ReportPathError(`--report ${value}: ${problem}`);
  return { path, inPlace: false };
}

/**
 * Renders the report and writes it; `finish` sees the page last (the command scrubs secrets there).
 * A regular file is replaced whole, so an interrupted write never leaves half a page.
 */
export async function writeHtmlReport(
  target: ReportTarget,
  timeline: SessionTimeline,
  finish: (html: string) => string = (html) => html,
  options: HtmlPageOptions = { generatedAt: new Date() },
): Promise<void> {
  const { renderHtmlReport } = await import('./timeline/html-report.js');
  const html = finish(await renderHtmlReport(timeline, options));
  try {
    if (target.inPlace) await writeFile(target.path, html);
    else await writeFileAtomic(target.path, html);
  } catch (error) {
    throw new ReportWriteError(`could not write the report to ${target.path}: ${(error as Error).message}`, { cause: error });
  }
}
