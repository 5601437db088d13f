// Verdict rules: from what a probe observed to "did MPTCP hold, and if not, the most likely cause".
// The rules read only the evidence (samples, counters, the far end's view, replies), never the
// scenario, so they apply to servers, middleboxes and kernels no test here contains.
// DESIGN.md section 4 lists what each middlebox was seen to do on Linux 6.18.
import type { CounterSnapshot } from '../sys/counters.js';
import type { ConnectionEvidence, ProbeEvidence } from './evidence.js';

export type VerdictStatus = 'held' | 'degraded' | 'fell-back' | 'not-attempted';

export type VerdictCause =
  | 'none'
  | 'local-disabled'
  | 'local-unsupported'
  | 'peer-or-path-no-mptcp'
  | 'peer-no-mptcp'
  | 'option-stripped'
  | 'payload-rewritten'
  | 'stream-damaged'
  | 'join-failed'
  | 'blackhole'
  | 'path-failed';

export interface Verdict {
  status: VerdictStatus;
  cause: VerdictCause;
  /** Why we think so: one line per fact, each naming where it came from. */
  evidence: string[];
  advice: string[];
}

/** Counters that say the payload did not match its DSS mapping or checksum (RFC 8684 3.3.1, 3.7). */
const PAYLOAD_COUNTERS = ['DataCsumErr', 'MPFailTx', 'MPFailRx', 'DSSCorruptionFallback', 'DssFallback', 'InfiniteMapTx', 'InfiniteMapRx', 'DSSNotMatching'];
/** A subflow reset because its data could not be trusted (checksums off, several subflows). */
const DAMAGE_COUNTERS = ['DSSCorruptionReset'];
const BLACKHOLE_COUNTERS = ['MPCapableSYNTXDrop', 'Blackhole', 'MPCapableSYNTXDisabled'];
const JOIN_FAILURE_COUNTERS = ['MPJoinSynTxConnectErr', 'MPJoinSynTxBindErr', 'MPJoinSynTxCreatSkErr', 'MPJoinRejected', 'MPJoinSynAckHMacFailure'];

export const ADVICE: Record<VerdictCause, string[]> = {
  none: [],
  'local-disabled': ['enable MPTCP on this host: sysctl -w net.mptcp.enabled=1 (mptcp-doctor fix does it)'],
  'local-unsupported': ['this host cannot open MPTCP sockets: use a kernel 5.6+ built with CONFIG_MPTCP, or lift the policy (SELinux, BPF) that blocks them'],
  'peer-or-path-no-mptcp': [
    'no MP_CAPABLE came back: the server lacks MPTCP, or a middlebox on the path removed the option',
    'run `mptcp-doctor serve` on the far end and probe it: it tells a server without MPTCP from a path that strips it',
  ],
  'peer-no-mptcp': ['the server accepted plain TCP: enable MPTCP there (net.mptcp.enabled=1, and an application using IPPROTO_MPTCP or run under mptcpize)'],
  'option-stripped': [
    'a middlebox removes the MPTCP option (TCP option 30): look for firewalls or normalizers that strip unknown TCP options on this path',
  ],
  'payload-rewritten': [
    'a middlebox rewrote the bytes, typically an FTP ALG (conntrack ftp helper) rewriting PORT/EPRT',
    'use passive mode (EPSV), or FTPS so the ALG cannot read the control channel, or disable the FTP helper on the middlebox',
    'keep net.mptcp.checksum_enabled=1 on both ends so rewrites are caught instead of damaging the stream',
  ],
  'stream-damaged': [
    'bytes of the stream were lost without any error reaching the applications: enable net.mptcp.checksum_enabled=1 on both ends',
    'use passive mode (EPSV) or FTPS so the FTP ALG cannot rewrite the control channel, or disable the ALG',
  ],
  'join-failed': [
    'extra subflows were not established: check that the other path passes MP_JOIN SYNs (firewalls), that each endpoint has a source route, and the limits (ip mptcp limits)',
  ],
  blackhole: [
    'SYNs carrying MP_CAPABLE were dropped on the path: a firewall drops SYNs with unknown options',
    'active MPTCP stays disabled for net.mptcp.blackhole_timeout seconds after detection',
  ],
  'path-failed': ['a path failed during the transfer and MPTCP carried on over the others (MPTCP working as intended): check that link'],
};

function nonZero(counters: CounterSnapshot | undefined, names: string[], side: string): string[] {
  return names.filter((name) => (counters?.[name] ?? 0) > 0).map((name) => `${side} counter ${name} +${counters![name]}`);
}

function verdict(status: VerdictStatus, cause: VerdictCause, evidence: string[]): Verdict {
  return { status, cause, evidence, advice: ADVICE[cause] };
}

function describeConnection(c: ConnectionEvidence): string {
  return c.role === 'control' ? 'control connection' : `data connection (${c.mode ?? 'data'})`;
}

/** The far end speaks MPTCP: it says so, or another connection of this probe held MPTCP at its handshake. */
function serverKnownCapable(evidence: ProbeEvidence): string | undefined {
  if (evidence.server.kind === 'serve' && evidence.server.listener === 'mptcp') return 'the far end (mptcp-doctor serve) listens with an MPTCP socket';
  const held = evidence.connections.find((c) => c.samples[0]?.state === 'mptcp');
  return held ? `the ${describeConnection(held)} to the same server completed an MPTCP handshake` : undefined;
}

/** The connection never was MPTCP: what happened at the handshake. */
function handshakeFallback(c: ConnectionEvidence, evidence: ProbeEvidence): Verdict {
  const facts = [`${describeConnection(c)}: no MPTCP after the handshake (${c.samples[0]?.phase ?? 'first sample'})`];
  const blackhole = nonZero(evidence.clientCounters, BLACKHOLE_COUNTERS, 'client');
  if (blackhole.length > 0 || evidence.blackholeActive) {
    if (evidence.blackholeActive) facts.push('active MPTCP was disabled by blackhole detection before the probe');
    return verdict('fell-back', 'blackhole', [...facts, ...blackhole]);
  }
  const synackFallback = nonZero(evidence.clientCounters, ['MPCapableFallbackSYNACK'], 'client');
  if (evidence.server.listener === 'tcp') {
    return verdict('fell-back', 'peer-no-mptcp', [...facts, 'the far end says its listening socket is plain TCP']);
  }
  if (c.server) {
    const sawMpCapable = c.server.mpCapableReceived ?? c.server.socket === 'mptcp';
    if (!sawMpCapable) {
      return verdict('fell-back', 'option-stripped', [
        ...facts,
        'the far end listens with MPTCP but accepted this connection as plain TCP: MP_CAPABLE did not reach it in the SYN',
        ...synackFallback,
      ]);
    }
    return verdict('fell-back', 'option-stripped', [
      ...facts,
      `the far end saw MP_CAPABLE in the SYN (its socket is ${c.server.socket}, state ${c.server.state}), yet the option was lost on the way back or on the ACK`,
      ...synackFallback,
      ...nonZero(evidence.serverCounters, ['MPCapableSYNRX', 'MPCapableFallbackACK'], 'server'),
    ]);
  }
  const capable = serverKnownCapable(evidence);
  if (capable) {
    return verdict('fell-back', 'option-stripped', [
      ...facts,
      capable,
      ...synackFallback,
      'so the option was lost on this connection\'s path or port, unless the server enables MPTCP on some of its sockets only',
    ]);
  }
  return verdict('fell-back', 'peer-or-path-no-mptcp', [
    ...facts,
    ...(synackFallback.length > 0 ? synackFallback.map((f) => `${f} (SYN-ACK without MP_CAPABLE)`) : []),
    'the far end cannot tell us whether it saw MP_CAPABLE (it is not mptcp-doctor serve)',
  ]);
}

/** Commands (PORT/EPRT...) sent on this connection before `atMs`. */
function commandsBefore(c: ConnectionEvidence, atMs: number): string[] {
  return (c.commands ?? []).filter((command) => command.atMs <= atMs).map((command) => command.command);
}

/** The connection started MPTCP and lost it. */
function midStreamFallback(c: ConnectionEvidence, evidence: ProbeEvidence): Verdict {
  const when = c.samples.find((s) => s.state === 'fallback')!;
  const facts = [`${describeConnection(c)}: MPTCP at first, plain TCP from ${when.phase} (${when.atMs} ms)`];
  const payload = [...nonZero(evidence.clientCounters, PAYLOAD_COUNTERS, 'client'), ...nonZero(evidence.serverCounters, PAYLOAD_COUNTERS, 'server')];
  const sent = commandsBefore(c, when.atMs);
  if (payload.length > 0) {
    const hint = sent.length > 0 ? [`it carried ${sent.join(', ')} just before: an FTP ALG rewrites those`] : [];
    return verdict('fell-back', 'payload-rewritten', [...facts, ...payload, ...hint]);
  }
  const dataFallback = [
    ...nonZero(evidence.clientCounters, ['MPCapableDataFallback'], 'client'),
    ...nonZero(evidence.serverCounters, ['MPCapableDataFallback'], 'server'),
  ];
  if (dataFallback.length > 0) {
    return verdict('fell-back', 'option-stripped', [...facts, ...dataFallback, 'packets after the handshake arrived without the MPTCP option']);
  }
  if (sent.some((command) => /^(PORT|EPRT)\b/i.test(command))) {
    return verdict('fell-back', 'payload-rewritten', [...facts, `it fell back after ${sent.join(', ')}, the commands an FTP ALG rewrites`]);
  }
  return verdict('fell-back', 'option-stripped', [...facts, 'no checksum or mapping error was counted: the option most likely disappeared from later packets']);
}

/** A subflow silent this long while the others moved this much has lost its path. */
const STALL_MS = 2000;
const STALL_MIN_BYTES = 1 << 20;

/** Subflows that carried data, then stopped for STALL_MS while the connection's other subflows kept moving. */
export function stalledSubflows(c: ConnectionEvidence): string[] {
  const samples = c.samples.filter((s) => s.progress);
  const keys = new Set(samples.flatMap((s) => Object.keys(s.progress!)));
  const stalled: string[] = [];
  for (const key of keys) {
    let lastGrowth = -1;
    let previous: number | undefined;
    samples.forEach((sample, index) => {
      const value = sample.progress![key];
      if (value === undefined) return;
      if (previous !== undefined && value > previous) lastGrowth = index;
      previous = value;
    });
    if (lastGrowth < 0) continue;
    const since = samples[lastGrowth]!;
    const end = samples.at(-1)!;
    if (end.progress![key] === undefined || end.atMs - since.atMs < STALL_MS) continue;
    const others = (sample: typeof since) =>
      Object.entries(sample.progress!).filter(([k]) => k !== key).reduce((total, [, v]) => total + v, 0);
    if (others(end) - others(since) >= STALL_MIN_BYTES) stalled.push(key);
  }
  return stalled;
}

/** MPTCP held on this connection; did it keep the subflows it should have? */
function heldConnection(c: ConnectionEvidence, evidence: ProbeEvidence): Verdict {
  const name = describeConnection(c);
  const most = Math.max(...c.samples.map((s) => s.subflows));
  const last = c.samples.at(-1)!;
  const both = (names: string[]) => [...nonZero(evidence.clientCounters, names, 'client'), ...nonZero(evidence.serverCounters, names, 'server')];
  const damage = both(DAMAGE_COUNTERS);
  const payload = both(PAYLOAD_COUNTERS);
  const resets = both(['MPRstTx', 'MPRstRx']);
  const anomalies = c.role === 'control' ? evidence.anomalies.map((a) => `reply "${a.code} ${a.text}" to ${a.command}`) : [];
  const stalled = stalledSubflows(c);
  const lost = most > last.subflows;
  const facts = [
    ...(lost ? [`${name}: MPTCP held, but subflows went from ${most} to ${last.subflows}`] : []),
    ...stalled.map((key) => `${name}: the subflow from ${key} stopped carrying data while the others went on`),
  ];
  const checksumOff = evidence.checksum.client === false || evidence.checksum.server === false;
  const checksumFact = checksumOff ? ['MPTCP checksums are off, so the rewrite went undetected at the data level'] : [];
  const transferFailed = evidence.transfer !== undefined && !evidence.transfer.completed;

  if (c.role === 'control') {
    // The server answered a well-formed command as if it got other bytes, a subflow was reset, and no
    // checksum caught anything: the control stream lost bytes (DESIGN.md section 4, checksum 0 / 2 subflows).
    if (damage.length > 0 && (anomalies.length > 0 || checksumOff)) {
      return verdict('degraded', 'stream-damaged', [...facts, ...damage, ...anomalies, ...checksumFact]);
    }
    if (anomalies.length > 0 && payload.length === 0 && checksumOff && (resets.length > 0 || lost)) {
      return verdict('degraded', 'stream-damaged', [...facts, ...anomalies, ...resets, ...checksumFact]);
    }
    if ((payload.length > 0 || damage.length > 0) && (lost || anomalies.length > 0 || resets.length > 0)) {
      return verdict('degraded', 'payload-rewritten', [...facts, ...payload, ...damage, ...resets, ...anomalies]);
    }
  }
  if (lost || stalled.length > 0) {
    // Subflows reset by an MPTCP endpoint, no payload error, and the transfer stalled: their packets
    // arrived without the MPTCP option (a middlebox stripping it mid-connection).
    if (resets.length > 0 && payload.length === 0 && transferFailed) {
      return verdict('degraded', 'option-stripped', [
        ...facts,
        ...resets,
        `the transfer did not complete (${evidence.transfer?.errorKind ?? 'error'}): subflows were reset without any checksum or mapping error, as when their packets lose the MPTCP option`,
      ]);
    }
    return verdict('degraded', 'path-failed', [
      ...facts,
      ...both(['SubflowStale', 'MPTCPRetrans', 'RmSubflow', 'DuplicateData']),
      ...(transferFailed ? [] : ['the transfer completed over the remaining subflows']),
    ]);
  }
  if (most < c.expectedSubflows) {
    const joinTx = evidence.clientCounters.MPJoinSynTx ?? 0;
    const joinAck = evidence.clientCounters.MPJoinSynAckRx ?? 0;
    const failures = nonZero(evidence.clientCounters, JOIN_FAILURE_COUNTERS, 'client');
    const attemptsFailed = joinTx > joinAck || failures.length > 0;
    // A short data connection may close before a join completes: without failed attempts that is no fault.
    if (attemptsFailed || c.durationMs >= 2000 || c.role === 'control') {
      return verdict('degraded', 'join-failed', [
        `${name}: ${most} subflow${most === 1 ? '' : 's'} of the ${c.expectedSubflows} the local endpoints allow`,
        ...(joinTx > 0 ? [`client counter MPJoinSynTx +${joinTx}, MPJoinSynAckRx +${joinAck}`] : ['no MP_JOIN was attempted']),
        ...failures,
      ]);
    }
  }
  if (c.role === 'data' && transferFailed && resets.length > 0 && c.samples.some((s) => s.phase === 'transfer')) {
    return verdict('degraded', 'option-stripped', [
      `${name}: MPTCP held but the transfer stalled (${evidence.transfer?.errorKind ?? 'error'})`,
      ...resets,
    ]);
  }
  return verdict('held', 'none', [`${name}: MPTCP held with ${most} subflow${most === 1 ? '' : 's'}`]);
}

export function judgeConnection(c: ConnectionEvidence, evidence: ProbeEvidence): Verdict {
  const name = describeConnection(c);
  if (c.socket === 'tcp') {
    const reason = c.socketReason ?? 'unknown';
    if (reason === 'disabled') return verdict('not-attempted', 'local-disabled', [`${name}: this host refused an MPTCP socket (net.mptcp.enabled = 0)`]);
    if (reason === 'forced') return verdict('not-attempted', 'none', [`${name}: plain TCP was requested (--tcp)`]);
    return verdict('not-attempted', 'local-unsupported', [`${name}: this host refused an MPTCP socket (${reason})`]);
  }
  if (c.samples.length === 0) return verdict('not-attempted', 'none', [`${name}: never sampled`]);
  if (c.samples[0]!.state !== 'mptcp') return handshakeFallback(c, evidence);
  if (c.samples.some((s) => s.state !== 'mptcp')) return midStreamFallback(c, evidence);
  return heldConnection(c, evidence);
}

const STATUS_RANK: Record<VerdictStatus, number> = { held: 0, degraded: 1, 'fell-back': 2, 'not-attempted': 3 };
const CAUSE_RANK: Partial<Record<VerdictCause, number>> = { 'stream-damaged': 3, 'payload-rewritten': 2, blackhole: 1 };

export interface ConnectionVerdict extends Verdict {
  index: number;
}

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
