// --report FILE.html, the same on probe, get and put: the path is checked before the work starts (a
// typo should not cost a transfer) and the page is written after it.
import { checkReportPath, ReportPathError, ReportWriteError, writeHtmlReport, type ReportTarget } from '../report/report-file.js';
import type { SessionTimeline } from '../report/timeline/session-timeline.js';
import { CannotRunError, UsageError } from './errors.js';

export const REPORT_OPTION = { type: 'string', describe: 'also write a self-contained HTML report (charts per subflow) to FILE' } as const;

/** The checked target of --report, or undefined without it; a bad path is a usage error. */
export async function reportTarget(value: unknown): Promise<ReportTarget | undefined> {
  if (value === undefined) return undefined;
  return checkReportPath(value).catch((error: unknown) => {
    throw error instanceof ReportPathError ? new UsageError(error.message) : error;
  });
}

/** Writes the page; a failure after the work is done means the tool could not finish (exit 3). */
export async function writeReport(target: ReportTarget, timeline: SessionTimeline, scrub: (html: string) => string): Promise<void> {
  await writeHtmlReport(target, timeline, scrub).catch((error: unknown) => {
    throw error instanceof ReportWriteError ? new CannotRunError(error.message) : error;
  });
}
