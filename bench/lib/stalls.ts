// The receive-window stall counters (docs/mptcp-facts.md, "Receive-window stalls"), read around each
// run in a lab namespace. Whether a run stalled is the tool's own rule (src/session/findings.ts).
import { stalled as stalledByCounters } from '../../src/session/findings.js';
import { execIn, parseNetstat, type Lab, type NamespaceRef } from '../../test/lab/index.js';

export const STALL_COUNTERS = [
  ['MPTcpExt', 'MPTCPRetrans'],
  ['MPTcpExt', 'WinProbe'],
  // Data that arrived twice: the MPTCP-level retransmission resent what the receiver already had.
  ['MPTcpExt', 'DuplicateData'],
  ['TcpExt', 'TCPToZeroWindowAdv'],
] as const;

export type StallCounts = Record<string, number>;

export async function readStallCounters(lab: Lab, ns: NamespaceRef): Promise<StallCounts> {
  const r = await execIn(lab.ns(ns), ['cat', '/proc/net/netstat'], { check: true, timeoutMs: 5000 });
  const groups = parseNetstat(r.stdout);
  return Object.fromEntries(STALL_COUNTERS.map(([group, key]) => [key, groups[group]?.[key] ?? 0]));
}

export function stallDelta(before: StallCounts, after: StallCounts): StallCounts {
  return Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]));
}

/** Whether the kernel stalled this MPTCP run, by the same rule the reports use. */
export function stalled(counts: StallCounts | undefined): boolean {
  if (!counts) return false;
  const { TCPToZeroWindowAdv, ...mptcp } = counts;
  return stalledByCounters({ mptcp, tcp: TCPToZeroWindowAdv !== undefined ? { TCPToZeroWindowAdv } : {} });
}
