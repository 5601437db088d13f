// What a readiness check is and returns (flutter doctor style): data, never printing.
import type { Host } from '../src/sys/host.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
/** `error`: the check itself threw (a bug or an unreadable host), not a finding about MPTCP. */
export type ResultStatus = CheckStatus | 'error';

/** A sysctl a fix sets; `fix` applies these (and only these). */
export interface SysctlChange {
  key: string;
  value: string;
}

export interface Fix {
  /** What to do and why, one or two sentences. */
  advice: string;
  /** Exact commands as argument arrays (printed; `fix` runs only the sysctl ones, from `sysctls`). */
  commands: string[][];
  /** Structured form of the sysctl commands among `commands`. */
  sysctls?: SysctlChange[];
}

export interface CheckOutcome {
  status: CheckStatus;
  /** One line. */
  summary: string;
  /** What was read, one fact per line ("net.mptcp.enabled = 0"). */
  evidence: string[];
  fix?: Fix;
}

export interface CheckResult {
  id: string;
  title: string;
  status: ResultStatus;
  summary: string;
  evidence: string[];
  fix?: Fix;
  durationMs: number;
}

/** A real MPTCP exchange the selftest makes (checks/loopback-probe.ts: our probe against our own server). */
export interface LoopbackResult {
  /** How the client socket was created. */
  socket: 'mptcp' | 'tcp';
  /** Why it is plain TCP, when it is. */
  reasonText?: string;
  /** State after the exchange, each side, from TCP_IS_MPTCP (or the best the kernel offers). */
  client: { state: 'mptcp' | 'fallback' | 'tcp'; method: string };
  server: { state: 'mptcp' | 'fallback' | 'tcp'; method: string };
  bytes: number;
  elapsedMs: number;
  /** Subflows the client saw. */
  subflows: number;
  address: string;
  /** The probe's verdict over the control and data connections (src/probe). */
  verdict?: { status: string; cause: string };
}

export interface CheckContext {
  host: Host;
  loopback(): Promise<LoopbackResult>;
}

export interface Check {
  id: string;
  /** Short noun phrase for tables ("MPTCP enabled"). */
  title: string;
  run(context: CheckContext): Promise<CheckOutcome>;
}

export function sysctlFix(advice: string, changes: SysctlChange[]): Fix {
  return {
    advice,
    commands: changes.map((c) => ['sysctl', '-w', `${c.key}=${c.value}`]),
    sysctls: changes,
  };
}
