// Facts read off the evidence, shared by the verdict rules (verdict.ts) and the list of what each
// cause requires (causes.ts). Each is a plain question about what was observed, never about a scenario.
import type { CounterSnapshot } from '../sys/counters.js';
import { connectionName } from './connection-name.js';
import type { ConnectionEvidence, ConnectionSample, ProbeEvidence } from './evidence.js';

/** The payload did not match its DSS mapping or checksum (RFC 8684 sections 3.3.1 and 3.7). */
export const PAYLOAD_COUNTERS = ['DataCsumErr', 'MPFailTx', 'MPFailRx', 'DSSCorruptionFallback', 'DssFallback', 'InfiniteMapTx', 'InfiniteMapRx', 'DSSNotMatching'];
/** A subflow reset because its data could not be trusted (checksums off, several subflows). */
export const DAMAGE_COUNTERS = ['DSSCorruptionReset'];
/** SYNs with MP_CAPABLE dropped, and active MPTCP disabled for a while afterwards. */
export const BLACKHOLE_COUNTERS = ['MPCapableSYNTXDrop', 'Blackhole', 'MPCapableSYNTXDisabled'];
/** Joins that failed on our side or were refused by the far end. */
export const JOIN_FAILURE_COUNTERS = ['MPJoinSynTxConnectErr', 'MPJoinSynTxBindErr', 'MPJoinSynTxCreatSkErr', 'MPJoinSynAckHMacFailure'];
export const RESET_COUNTERS = ['MPRstTx', 'MPRstRx'];
/** Packets after the handshake arrived without the MPTCP option (RFC 8684 section 3.7). */
export const DATA_FALLBACK_COUNTERS = ['MPCapableDataFallback'];

export type Side = 'client' | 'server';

export function countersOf(evidence: ProbeEvidence, side: Side): CounterSnapshot | undefined {
  return side === 'client' ? evidence.clientCounters : evidence.serverCounters;
}

/** "client counter X +n" for each of `names` that moved on that side. */
export function moved(evidence: ProbeEvidence, side: Side, names: readonly string[]): string[] {
  const counters = countersOf(evidence, side);
  return names.filter((name) => (counters?.[name] ?? 0) > 0).map((name) => `${side} counter ${name} +${counters![name]}`);
}

export function movedEither(evidence: ProbeEvidence, names: readonly string[]): string[] {
  return [...moved(evidence, 'client', names), ...moved(evidence, 'server', names)];
}

export function count(evidence: ProbeEvidence, side: Side, name: string): number {
  return countersOf(evidence, side)?.[name] ?? 0;
}

/**
 * The evidence as it stood when the client gave up: samples taken afterwards are dropped (the
 * counters are cut by the runner). What our own teardown did is never evidence about the path.
 */
export function beforeGiveUp(evidence: ProbeEvidence): ProbeEvidence {
  const cut = evidence.gaveUp?.atMs;
  if (cut === undefined) return evidence;
  return {
    ...evidence,
    connections: evidence.connections.map((c) => ({ ...c, samples: c.samples.filter((s) => s.atMs <= cut) })),
  };
}

export function openedByServer(c: ConnectionEvidence): boolean {
  return c.opener === 'server';
}

export function mostSubflows(c: ConnectionEvidence): number {
  return Math.max(0, ...c.samples.map((s) => s.subflows));
}

/** MPTCP at the first sample after the handshake. */
export function startedMptcp(c: ConnectionEvidence): boolean {
  return c.samples[0]?.state === 'mptcp';
}

/** Not MPTCP right after the handshake although our socket was MPTCP: a handshake fallback. */
export function fellBackAtHandshake(c: ConnectionEvidence): boolean {
  return c.socket === 'mptcp' && c.samples.length > 0 && c.samples[0]!.state !== 'mptcp';
}

/** MPTCP after the handshake, plain TCP later. */
export function fellBackMidStream(c: ConnectionEvidence): boolean {
  return startedMptcp(c) && c.samples.some((s) => s.state !== 'mptcp');
}

export function heldThroughout(c: ConnectionEvidence): boolean {
  return c.samples.length > 0 && c.samples.every((s) => s.state === 'mptcp');
}

/** Subflows that had carried data went away while the connection stayed MPTCP: most first, fewer later. */
export function lostSubflows(c: ConnectionEvidence): { most: number; after: number } | undefined {
  let most = 0;
  let fewest: number | undefined;
  for (const sample of c.samples) {
    if (sample.state !== 'mptcp') continue;
    if (sample.subflows > most) {
      most = sample.subflows;
      fewest = undefined;
    } else if (sample.subflows < most) {
      fewest = Math.min(fewest ?? sample.subflows, sample.subflows);
    }
  }
  return fewest !== undefined ? { most, after: fewest } : undefined;
}

/** A subflow silent this long while the others moved this much has lost its path. */
const STALL_MS = 2000;
const STALL_MIN_BYTES = 1 << 20;

/** Subflows that carried data, then stopped for STALL_MS while the connection's other subflows kept moving. */
export function stalledSubflows(c: ConnectionEvidence): string[] {
  const samples = c.samples.filter((s): s is ConnectionSample & { progress: Record<string, number> } => s.progress !== undefined);
  const keys = new Set(samples.flatMap((s) => Object.keys(s.progress)));
  const stalled: string[] = [];
  for (const key of keys) {
    let lastGrowth = -1;
    let previous: number | undefined;
    samples.forEach((sample, index) => {
      const value = sample.progress[key];
      if (value === undefined) return;
      if (previous !== undefined && value > previous) lastGrowth = index;
      previous = value;
    });
    if (lastGrowth < 0) continue;
    const since = samples[lastGrowth]!;
    const end = samples.at(-1)!;
    if (end.progress[key] === undefined || end.atMs - since.atMs < STALL_MS) continue;
    const others = (sample: typeof since) =>
      Object.entries(sample.progress).filter(([k]) => k !== key).reduce((total, [, v]) => total + v, 0);
    if (others(end) - others(since) >= STALL_MIN_BYTES) stalled.push(key);
  }
  return stalled;
}

/**
 * Positive evidence that joins were attempted and did not complete, for a connection that reached
 * fewer subflows than expected. Namespace counters cannot say which connection a join belonged to,
 * so they count for every connection of the run that is short of subflows.
 */
export function joinFailureFacts(c: ConnectionEvidence, evidence: ProbeEvidence): string[] {
  const facts: string[] = [];
  // The kernel's own word, per connection: a join it closed (refused, reset, timed out).
  for (const subflow of c.kernel?.subflows ?? []) {
    if (subflow.initial || !subflow.closed) continue;
    facts.push(`kernel event: the join ${subflow.id} was ${subflow.established ? 'closed' : 'closed before it was established'}: ${subflow.end ?? 'no reason given'}`);
  }
  const pending = Math.max(0, ...c.samples.map((s) => s.notCarrying ?? 0));
  if (pending > 0) facts.push(`${connectionName(c, 'noun')}: a subflow appeared in the kernel's list without ever carrying data (join not completed)`);
  facts.push(...moved(evidence, 'client', JOIN_FAILURE_COUNTERS), ...moved(evidence, 'server', ['MPJoinRejected']));
  const synTx = count(evidence, 'client', 'MPJoinSynTx');
  const synAck = count(evidence, 'client', 'MPJoinSynAckRx');
  if (synTx > synAck) facts.push(`client counter MPJoinSynTx +${synTx} but MPJoinSynAckRx +${synAck}: join SYNs went unanswered`);
  // Joins the far end answered but that never showed up as subflows of any of our connections. A
  // short data connection may close just as its join completes (answered, never sampled), so this
  // counts only where a connection that had time to join (the control connection, or one that
  // lived 2 s) was left short of subflows too.
  const joined = evidence.connections.reduce((sum, other) => sum + Math.max(0, mostSubflows(other) - 1), 0);
  const hadTime = (o: ConnectionEvidence) => o.role === 'control' || o.durationMs >= 2000;
  const shortWithTime = evidence.connections.find((o) => hadTime(o) && o.socket === 'mptcp' && o.samples.length > 0 && mostSubflows(o) < o.expectedSubflows);
  if (synAck > joined && shortWithTime) {
    facts.push(
      `client counter MPJoinSynAckRx +${synAck}, yet only ${joined} joined subflow${joined === 1 ? ' was' : 's were'} ever established, ` +
        `and the ${connectionName(shortWithTime, 'noun')} had time to join: the far end dropped joins after its SYN-ACK`,
    );
  }
  return facts;
}

/** Connections of the same far end that completed an MPTCP handshake, other than `c`. */
export function otherHeldConnection(c: ConnectionEvidence, evidence: ProbeEvidence): ConnectionEvidence | undefined {
  return evidence.connections.find((other) => other !== c && startedMptcp(other));
}

export function checksumOff(evidence: ProbeEvidence): boolean {
  return evidence.checksum.client === false || evidence.checksum.server === false;
}

export function transferFailed(evidence: ProbeEvidence): boolean {
  return evidence.transfer !== undefined && !evidence.transfer.completed;
}

/** The kernel's events about subflows of this connection that closed, in words. */
export function kernelClosedSubflows(c: ConnectionEvidence): string[] {
  return (c.kernel?.subflows ?? [])
    .filter((s) => s.closed && s.established)
    .map((s) => `kernel event: the subflow ${s.id} closed: ${s.end ?? 'no reason given'}`);
}

/** MP_TCPRST reason 6 (RFC 8684 section 3.6): the peer reset a subflow for middlebox interference. */
export function middleboxResets(c: ConnectionEvidence): string[] {
  return (c.kernel?.subflows ?? [])
    .filter((s) => s.resetReasonCode === 6)
    .map((s) => `kernel event: the peer reset the subflow ${s.id}: ${s.resetReason}`);
}
