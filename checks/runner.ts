// Runs checks together (their host reads overlap and are shared) and reports them in registry order.
// A check that throws is `error` with the exception's message: a broken check, not a finding. One
// that needs the native addon when it cannot be loaded says so: the host was not looked at.
import { AddonUnavailableError } from '../src/native/binding.js';
import type { CheckContext, CheckResult, Check, ResultStatus } from './types.js';

export const CHECK_TIMEOUT_MS = 8_000;

/** How the summary of a check that could not run for want of the native addon begins. */
const COULD_NOT_RUN = 'could not run: ';

export interface CheckSummary {
  total: number;
  pass: number;
  warn: number;
  fail: number;
  skip: number;
  error: number;
  /** No fail and no error. */
  ok: boolean;
}

async function runOne(check: Check, context: CheckContext, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      check.run(context),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { id: check.id, title: check.title, ...outcome, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      id: check.id,
      title: check.title,
      status: 'error',
      summary: error instanceof AddonUnavailableError ? `${COULD_NOT_RUN}${message.split('\n')[0]}` : `check failed: ${message.split('\n')[0]}`,
      evidence: [message],
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timer);
  }
}

export async function runChecks(checks: readonly Check[], context: CheckContext, options: { timeoutMs?: number } = {}): Promise<CheckResult[]> {
  return Promise.all(checks.map((check) => runOne(check, context, options.timeoutMs ?? CHECK_TIMEOUT_MS)));
}

/** The checks that could not run because the native addon is missing (check then exits 3). */
export function addonMissing(results: readonly CheckResult[]): CheckResult[] {
  return results.filter((r) => r.status === 'error' && r.summary.startsWith(COULD_NOT_RUN));
}

export function summarize(results: readonly CheckResult[]): CheckSummary {
  const count = (status: ResultStatus) => results.filter((r) => r.status === status).length;
  const summary = { total: results.length, pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip'), error: count('error') };
  return { ...summary, ok: summary.fail === 0 && summary.error === 0 };
}
