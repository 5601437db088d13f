// One connection of an FTP session as every command reports it (probe, get, put, their JSON and
// the HTML report): what it was for, what the kernel said over time, and the verdict on it.
import type { ConnectionReport } from '../net/report.js';
import type { SiteMptcpConnection } from '../protocol/site-mptcp.js';
import type { ConnectionSample, KernelSubflowEvidence, ProbeMode } from '../verdict/evidence.js';
import type { Verdict } from '../verdict/verdict.js';

export type ConnectionPurpose = 'control' | 'transfer' | 'checksum' | 'upload';

export interface ConnectionRecord extends Verdict {
  /** "control", "data epsv", "data epsv (checksum)": the one name reports use. */
  label: string;
  role: 'control' | 'data';
  mode: ProbeMode;
  purpose: ConnectionPurpose;
  socket: 'mptcp' | 'tcp';
  /** Why the socket is plain TCP, when it is. */
  socketReason?: string;
  /** Who opened it: the server opens active-mode data connections. */
  opener: 'client' | 'server';
  expectedSubflows: number;
  durationMs: number;
  /** Chronological samples: state, subflows and per-subflow progress (every 250 ms while data moves). */
  samples: ConnectionSample[];
  /** The last report before close: subflows with addresses and bytes. */
  report?: ConnectionReport;
  /** The far end's own view, when it is mptcp-doctor serve. */
  server?: SiteMptcpConnection;
  /** The kernel's events about its subflows, when this process could hear them (CAP_NET_ADMIN). */
  kernel?: { subflows: KernelSubflowEvidence[]; eventsMayBeMissing: boolean };
}

/**
 * MPTCP held on every connection, with all its subflows or fewer ('degraded' is still MPTCP): what
 * --require-mptcp demands. Probe's exit code is stricter and counts 'degraded' as a problem.
 */
export function everyConnectionHeld(records: readonly ConnectionRecord[]): boolean {
  return records.length > 0 && records.every((r) => r.status === 'held' || r.status === 'degraded');
}
