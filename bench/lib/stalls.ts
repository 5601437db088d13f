// The receive-window stall counters of DESIGN.md section 4, read around each run: a slow MPTCP run
// with MPTCP-level retransmissions or window probes stalled in the kernel, not in the program.
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

/**
 * Whether the kernel stalled this MPTCP run: an MPTCP-level retransmission, which on loopback means
 * the sender waited for its retransmit timer (window probes alone cost little).
 */
export function stalled(counts: StallCounts | undefined): boolean {
  return counts !== undefined && (counts.MPTCPRetrans ?? 0) > 0;
}
