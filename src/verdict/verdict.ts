// Verdict rules: from what a probe observed to "did MPTCP hold, and if not, the most likely cause".
// The rules read only the evidence (samples, counters until the client gave up, the far end's own
// view, replies), never the scenario, so they apply to servers, middleboxes and kernels no test here
// contains. Every cause they name needs the positive evidence listed in causes.ts; docs/verdicts.md
// explains each, and docs/mptcp-facts.md ("Middleboxes") what each middlebox was seen to do.
import { ADVICE, type VerdictCause, type VerdictStatus } from './causes.js';
import type { ConnectionEvidence, ProbeEvidence } from './evidence.js';
import { connectionName } from './connection-name.js';
import {
  BLACKHOLE_COUNTERS, DAMAGE_COUNTERS, DATA_FALLBACK_COUNTERS, PAYLOAD_COUNTERS, RESET_COUNTERS,
  beforeGiveUp, checksumOff, count, joinFailureFacts, kernelClosedSubflows, lostSubflows,
  middleboxResets, mostSubflows, moved, movedEither, openedByServer, otherHeldConnection, stalledSubflows,
  transferFailed,
} from './evidence-facts.js';

export { ADVICE, type VerdictCause, type VerdictStatus } from './causes.js';
export { stalledSubflows } from './evidence-facts.js';

export interface Verdict {
  status: VerdictStatus;
  cause: VerdictCause;
  /** Why we think so: one line per fact, each naming where it came from. */
  evidence: string[];
  advice: string[];
}

function verdict(status: VerdictStatus, cause: VerdictCause, evidence: string[]): Verdict {
  return { status, cause, evidence, advice: ADVICE[cause] };
}

/** The connection never was MPTCP: what happened at the handshake. */
function handshakeFallback(c: ConnectionEvidence, evidence: ProbeEvidence): Verdict {
  const name = connectionName(c, 'noun');
  const facts = [`${name}: no MPTCP after the handshake (${c.samples[0]?.phase ?? 'first sample'})`];
  const server = c.server;
  if (!openedByServer(c)) {
    const blackhole = moved(evidence, 'client', BLACKHOLE_COUNTERS);
    if (blackhole.length > 0 || evidence.blackholeActive) {
      if (evidence.blackholeActive) facts.push('active MPTCP was disabled by blackhole detection before the probe');
      return verdict('fell-back', 'blackhole', [...facts, ...blackhole]);
    }
  }
  const synackFallback = moved(evidence, 'client', ['MPCapableFallbackSYNACK']);
  if (server && openedByServer(c)) {
    if (server.socket === 'tcp') {
      return verdict('fell-back', 'peer-no-mptcp', [...facts, 'the far end opened this data connection with a plain TCP socket']);
    }
    const sent = count(evidence, 'server', 'MPCapableSYNTX');
    if (sent > 0) {
      return verdict('fell-back', 'option-stripped', [
        ...facts,
        `the far end opened it with an MPTCP socket (server counter MPCapableSYNTX +${sent}), and our MPTCP listener got a plain TCP connection: the option was lost on the path`,
      ]);
    }
  }
  if (server && !openedByServer(c)) {
    if (server.listener === 'tcp') {
      return verdict('fell-back', 'peer-no-mptcp', [...facts, 'the far end accepted this connection on a plain TCP listening socket']);
    }
    if (server.mpCapableReceived === true) {
      return verdict('fell-back', 'option-stripped', [
        ...facts,
        `the far end saw MP_CAPABLE in our SYN (its socket is ${server.socket}, state ${server.state}), yet the option was lost on the way back or on the ACK`,
        ...synackFallback,
        ...moved(evidence, 'server', ['MPCapableSYNRX', 'MPCapableFallbackACK']),
      ]);
    }
    const sent = count(evidence, 'client', 'MPCapableSYNTX');
    if (server.listener === 'mptcp' && server.mpCapableReceived === false && server.mpCapableEvidence === 'counters' && sent > 0) {
      return verdict('fell-back', 'option-stripped', [
        ...facts,
        `we sent MP_CAPABLE (client counter MPCapableSYNTX +${sent}); the far end listens with MPTCP and its counters show the SYN arrived without it`,
        ...synackFallback,
      ]);
    }
  }
  const held = otherHeldConnection(c, evidence);
  return verdict('fell-back', 'peer-or-path-no-mptcp', [
    ...facts,
    ...(openedByServer(c) ? ['the far end opened this data connection; our MPTCP listener got it as plain TCP'] : []),
    ...synackFallback.map((f) => `${f} (SYN-ACK without MP_CAPABLE)`),
    ...(held
      ? [`the ${connectionName(held, 'noun')} to the same server did complete an MPTCP handshake: the server may create this kind of socket without MPTCP, or the path to this port strips the option`]
      : []),
    server ? 'the far end could not tell whether MP_CAPABLE reached it' : 'the far end cannot tell us whether it saw MP_CAPABLE (it is not mptcp-doctor serve)',
  ]);
}

/** Commands (PORT/EPRT...) sent on this connection before `atMs`. */
function commandsBefore(c: ConnectionEvidence, atMs: number): string[] {
  return (c.commands ?? []).filter((command) => command.atMs <= atMs).map((command) => command.command);
}

/** The connection started MPTCP and lost it. */
function midStreamFallback(c: ConnectionEvidence, evidence: ProbeEvidence): Verdict {
  const when = c.samples.find((s) => s.state !== 'mptcp')!;
  const facts = [`${connectionName(c, 'noun')}: MPTCP at first, plain TCP from ${when.phase} (${when.atMs} ms)`];
  const sent = commandsBefore(c, when.atMs);
  const rewritable = sent.filter((command) => /^(PORT|EPRT)\b/i.test(command));
  const payload = movedEither(evidence, PAYLOAD_COUNTERS);
  if (payload.length > 0) {
    const hint = sent.length > 0 ? [`it carried ${sent.join(', ')} just before: an FTP ALG rewrites those`] : [];
    return verdict('fell-back', 'payload-rewritten', [...facts, ...payload, ...hint]);
  }
  const dataFallback = movedEither(evidence, DATA_FALLBACK_COUNTERS);
  if (dataFallback.length > 0) {
    return verdict('fell-back', 'option-stripped', [...facts, ...dataFallback, 'packets after the handshake arrived without the MPTCP option']);
  }
  return verdict('fell-back', 'unexplained', [
    ...facts,
    'no checksum, mapping or option-loss counter moved on our side (or on the far end, when it reports)',
    ...(rewritable.length > 0 ? [`it fell back after ${rewritable.join(', ')}, which an FTP ALG rewrites; with net.mptcp.checksum_enabled=1 at both ends the kernel would count such a rewrite`] : []),
  ]);
}

/** MPTCP held on the control connection: was its byte stream damaged or rewritten on the way? */
function controlStreamVerdict(c: ConnectionEvidence, evidence: ProbeEvidence, facts: string[]): Verdict | undefined {
  const damage = movedEither(evidence, DAMAGE_COUNTERS);
  const payload = movedEither(evidence, PAYLOAD_COUNTERS);
  const resets = movedEither(evidence, RESET_COUNTERS);
  const anomalies = evidence.anomalies.map((a) => `reply "${a.code} ${a.text}" to ${a.command}`);
  const lost = lostSubflows(c) !== undefined;
  const checksumFact = checksumOff(evidence) ? ['MPTCP checksums are off, so the rewrite went undetected at the data level'] : [];
  // A subflow reset for corrupt data, and the server answering a well-formed command as if it got
  // other bytes, or, with no checksum to catch it, this connection losing a subflow: the control
  // stream lost bytes (docs/mptcp-facts.md, "Middleboxes": checksum 0 with two subflows). The
  // counter is namespace-wide, so it needs this connection's own sign beside it.
  if (damage.length > 0 && (anomalies.length > 0 || (checksumOff(evidence) && lost))) {
    return verdict('degraded', 'stream-damaged', [...facts, ...damage, ...anomalies, ...checksumFact]);
  }
  if (anomalies.length > 0 && payload.length === 0 && checksumOff(evidence) && (resets.length > 0 || lost)) {
    return verdict('degraded', 'stream-damaged', [...facts, ...anomalies, ...resets, ...checksumFact]);
  }
  if (payload.length > 0 && (lost || anomalies.length > 0 || resets.length > 0)) {
    return verdict('degraded', 'payload-rewritten', [...facts, ...payload, ...damage, ...resets, ...anomalies]);
  }
  return undefined;
}

/** MPTCP held on this connection; did it keep the subflows it should have? */
function heldConnection(c: ConnectionEvidence, evidence: ProbeEvidence): Verdict {
  const name = connectionName(c, 'noun');
  const most = mostSubflows(c);
  const lost = lostSubflows(c);
  const stalled = stalledSubflows(c);
  const facts = [
    ...(lost ? [`${name}: MPTCP held, but subflows went from ${lost.most} to ${lost.after}`] : []),
    ...stalled.map((key) => `${name}: the subflow from ${key} stopped carrying data while the others went on`),
  ];
  if (c.role === 'control') {
    const stream = controlStreamVerdict(c, evidence, facts);
    if (stream) return stream;
  }
  if (lost || stalled.length > 0) {
    const resets = movedEither(evidence, RESET_COUNTERS);
    const payload = movedEither(evidence, PAYLOAD_COUNTERS);
    // Subflows reset by an MPTCP endpoint before we gave up, no payload error, and the transfer
    // stalled: their packets arrived without the MPTCP option (a middlebox stripping it mid-connection).
    if (lost && resets.length > 0 && payload.length === 0 && transferFailed(evidence)) {
      return verdict('degraded', 'option-stripped', [
        ...facts,
        ...middleboxResets(c),
        ...resets,
        `the transfer then stalled (${evidence.transfer?.errorKind ?? 'error'}): subflows were reset before we gave up, without any checksum or mapping error, as when their packets lose the MPTCP option`,
      ]);
    }
    return verdict('degraded', 'path-failed', [
      ...facts,
      ...kernelClosedSubflows(c),
      ...movedEither(evidence, ['SubflowStale', 'MPTCPRetrans', 'RmSubflow', 'DuplicateData']),
      ...(transferFailed(evidence) ? [] : ['the transfer completed over the remaining subflows']),
    ]);
  }
  if (most < c.expectedSubflows) {
    const short = `${name}: ${most} subflow${most === 1 ? '' : 's'} of the ${c.expectedSubflows} the local endpoints allow`;
    const failures = joinFailureFacts(c, evidence);
    if (failures.length > 0) return verdict('degraded', 'join-failed', [short, ...failures]);
    const attempts = count(evidence, 'client', 'MPJoinSynTx');
    return verdict('held', 'none', [
      `${name}: MPTCP held with ${most} subflow${most === 1 ? '' : 's'}`,
      attempts === 0
        ? `${short}; no MP_JOIN was attempted${c.role === 'data' && c.durationMs < 2000 ? ' (the connection was short)' : ''}`
        : `${short}; no join was seen failing`,
    ]);
  }
  return verdict('held', 'none', [`${name}: MPTCP held with ${most} subflow${most === 1 ? '' : 's'}`]);
}

function judge(c: ConnectionEvidence, evidence: ProbeEvidence): Verdict {
  const name = connectionName(c, 'noun');
  if (c.socket === 'tcp') {
    const reason = c.socketReason ?? 'unknown';
    if (reason === 'disabled') return verdict('not-attempted', 'local-disabled', [`${name}: this host refused an MPTCP socket (net.mptcp.enabled = 0)`]);
    if (reason === 'forced') return verdict('not-attempted', 'none', [`${name}: plain TCP was requested (--tcp)`]);
    if (reason === 'unknown') return verdict('not-attempted', 'none', [`${name}: a plain TCP socket, for a reason we could not read`]);
    return verdict('not-attempted', 'local-unsupported', [`${name}: this host refused an MPTCP socket (${reason})`]);
  }
  if (c.samples.length === 0) return verdict('not-attempted', 'none', [`${name}: never sampled before the probe gave up`]);
  if (c.samples[0]!.state !== 'mptcp') return handshakeFallback(c, evidence);
  if (c.samples.some((s) => s.state !== 'mptcp')) return midStreamFallback(c, evidence);
  return heldConnection(c, evidence);
}

/** One connection's verdict, from the evidence as it stood when the client gave up. */
export function judgeConnection(c: ConnectionEvidence, evidence: ProbeEvidence): Verdict {
  const trimmed = beforeGiveUp(evidence);
  const index = evidence.connections.indexOf(c);
  return judge(index >= 0 ? trimmed.connections[index]! : beforeGiveUp({ ...evidence, connections: [c] }).connections[0]!, trimmed);
}

const STATUS_RANK: Record<VerdictStatus, number> = { held: 0, degraded: 1, 'fell-back': 2, 'not-attempted': 3 };
const CAUSE_RANK: Partial<Record<VerdictCause, number>> = { 'stream-damaged': 3, 'payload-rewritten': 2, blackhole: 1 };

/**
 * The worst of several verdicts: the highest status (fell-back over degraded over held; not-attempted
 * only when nothing was attempted), then the cause that explains the most (damage over a rewrite over
 * the rest), then the first (the control connection comes first). Damage to a control stream outranks
 * everything: it is the failure no application notices.
 */
export function worstVerdict(verdicts: Verdict[]): Verdict {
  if (verdicts.length === 0) return verdict('not-attempted', 'none', ['no connection was made']);
  const attempted = verdicts.filter((v) => v.status !== 'not-attempted');
  const pool = (attempted.length > 0 ? attempted : verdicts).map((v, index) => ({ v, index }));
  const damaged = pool.find(({ v }) => v.cause === 'stream-damaged');
  if (damaged) return damaged.v;
  return pool.sort(
    (a, b) =>
      STATUS_RANK[b.v.status] - STATUS_RANK[a.v.status] ||
      (CAUSE_RANK[b.v.cause] ?? 0) - (CAUSE_RANK[a.v.cause] ?? 0) ||
      a.index - b.index,
  )[0]!.v;
}

export function judgeProbe(evidence: ProbeEvidence): { overall: Verdict; connections: Verdict[] } {
  const connections = evidence.connections.map((c) => judgeConnection(c, evidence));
  const { status, cause, evidence: facts, advice } = worstVerdict(connections);
  return { overall: { status, cause, evidence: facts, advice }, connections };
}
