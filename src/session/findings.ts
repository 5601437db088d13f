// Findings that are not verdicts on a connection but worth a line in every report: computed once
// here from the counters, so probe, get, put, their JSON and the benchmarks say the same thing.
import type { CounterGroups } from './counter-watch.js';

/** About what one MPTCP-level retransmission costs: the minimum RTO (docs/mptcp-facts.md, "Receive-window stalls"). */
const STALL_COST_MS = 200;

export interface StallFinding {
  /** MPTCP-level retransmissions: each one a stall of about STALL_COST_MS. */
  retransmissions: number;
  estimatedMs: number;
  text: string;
}

/**
 * The transfer stalled on MPTCP-level retransmissions (the receive-window stalls). Only a rise of
 * MPTCPRetrans costs measurable time; window probes and a closing window alone do not, so they are
 * details of the note, never a note of their own.
 */
export function stallFinding(counters: CounterGroups | undefined): StallFinding | undefined {
  const retransmissions = counters?.mptcp.MPTCPRetrans ?? 0;
  if (retransmissions === 0) return undefined;
  const candidates: Array<[string, number | undefined]> = [
    ['WinProbe', counters?.mptcp.WinProbe],
    ['DuplicateData', counters?.mptcp.DuplicateData],
    ['TCPToZeroWindowAdv', counters?.tcp.TCPToZeroWindowAdv],
  ];
  const details = candidates.filter((entry): entry is [string, number] => (entry[1] ?? 0) > 0);
  const estimatedMs = retransmissions * STALL_COST_MS;
  return {
    retransmissions,
    estimatedMs,
    text:
      `the transfer stalled ${retransmissions} time${retransmissions === 1 ? '' : 's'} on MPTCP-level retransmissions ` +
      `(MPTcpExtMPTCPRetrans +${retransmissions}${details.map(([name, value]) => `, ${name} +${value}`).join('')}), ` +
      `about ${estimatedMs} ms lost: a receiver that stops draining its socket makes the sender wait for its retransmission timer ` +
      '(counters of this network namespace: other MPTCP connections on this host count too)',
  };
}

/** The same rule as a yes/no, for the benchmarks' "stalled runs" column. */
export function stalled(counters: CounterGroups | undefined): boolean {
  return stallFinding(counters) !== undefined;
}
