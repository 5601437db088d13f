export { runLoopbackProbe } from './loopback-probe.js';
export { checkIds, checks, selectChecks } from './registry.js';
export { CHECK_TIMEOUT_MS, runChecks, summarize, type CheckSummary } from './runner.js';
export type {
  Check, CheckContext, CheckOutcome, CheckResult, CheckStatus, Fix, LoopbackResult, ResultStatus, SysctlChange,
} from './types.js';
