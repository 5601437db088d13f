// The host readiness audit: the chosen checks against this host (a fresh snapshot each call). Used by
// `check`, and by `fix` before and after it applies its plan.
import { runLoopbackProbe } from './loopback-probe.js';
import { selectChecks } from './registry.js';
import { runChecks } from './runner.js';
import type { CheckResult } from './types.js';
import { createHost } from '../src/sys/real-host.js';

export async function auditHost(only?: string[]): Promise<CheckResult[]> {
  return runChecks(selectChecks(only).selected, { host: createHost(), loopback: runLoopbackProbe });
}
