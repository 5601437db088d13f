// The causes a verdict may name, the advice for each, and the positive evidence each one requires.
// The rule: no MPTCP cause without MPTCP evidence. A cause is never inferred from the mere absence
// of MPTCP, and nothing the tool itself did after giving up (its own resets and fast-closes) counts.
// docs/verdicts.md explains each requirement; the property test in test/unit/verdict holds the rules
// (verdict.ts) to these requirements on generated evidence.
import type { ConnectionEvidence, ProbeEvidence } from './evidence.js';
import {
  BLACKHOLE_COUNTERS, DAMAGE_COUNTERS, DATA_FALLBACK_COUNTERS, PAYLOAD_COUNTERS, RESET_COUNTERS,
  count, fellBackAtHandshake, fellBackMidStream, heldThroughout, joinFailureFacts, lostSubflows, mostSubflows,
  movedEither, moved, openedByServer, stalledSubflows, transferFailed,
} from './evidence-facts.js';

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
  | 'path-failed'
  | 'unexplained';

export const ADVICE: Record<VerdictCause, string[]> = {
  none: [],
  'local-disabled': ['enable MPTCP on this host: sysctl -w net.mptcp.enabled=1 (mptcp-doctor fix does it)'],
  'local-unsupported': ['this host cannot open MPTCP sockets: use a kernel 5.6+ built with CONFIG_MPTCP, or lift the policy (SELinux, BPF) that blocks them'],
  'peer-or-path-no-mptcp': [
    'no MP_CAPABLE came back: the server lacks MPTCP (or does not use it on this socket), or a middlebox on the path removed the option',
    'run `mptcp-doctor serve` on the far end and probe it: it tells a server without MPTCP from a path that strips it',
  ],
  'peer-no-mptcp': ['the server used a plain TCP socket: enable MPTCP there (net.mptcp.enabled=1, and an application using IPPROTO_MPTCP or run under mptcpize)'],
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
    'extra subflows were not established: check that the other path passes MP_JOIN SYNs (firewalls), that each endpoint has a source route, and the limits at both ends (ip mptcp limits)',
  ],
  blackhole: [
    'SYNs carrying MP_CAPABLE were dropped on the path: a firewall drops SYNs with unknown options',
    'active MPTCP stays disabled for net.mptcp.blackhole_timeout seconds after detection',
  ],
  'path-failed': ['a path failed during the transfer and MPTCP carried on over the others (MPTCP working as intended): check that link'],
  unexplained: [
    'the connection fell back to TCP after its handshake and no kernel counter says why: run `mptcp-doctor watch` during a probe, or capture the traffic, to see the resets and options',
  ],
};

/**
 * Causes that can explain why a transfer failed (they damage or cut the live stream). Any other
 * verdict beside a failed transfer means the probe could not run: the failure is not MPTCP's.
 */
export const EXPLAINS_A_FAILED_TRANSFER: ReadonlySet<VerdictCause> = new Set<VerdictCause>([
  'option-stripped', 'payload-rewritten', 'stream-damaged', 'path-failed', 'unexplained',
]);

/** What a cause rests on, in words (for docs/verdicts.md and the property test's messages). */
export interface CauseRequirement {
  requires: string;
  /** True when the evidence holds the positive evidence the cause needs. */
  met(c: ConnectionEvidence, evidence: ProbeEvidence): boolean;
}

/** The far end used a plain TCP socket of its own accord for this connection. */
function farEndPlainTcp(c: ConnectionEvidence): boolean {
  if (!c.server) return false;
  return openedByServer(c) ? c.server.socket === 'tcp' : c.server.listener === 'tcp';
}

/** We sent MP_CAPABLE (or the far end did, for a connection it opened) and it did not survive the path. */
function optionSentAndLost(c: ConnectionEvidence, evidence: ProbeEvidence): boolean {
  if (fellBackAtHandshake(c)) {
    if (!c.server) return false;
    if (openedByServer(c)) return c.server.socket === 'mptcp' && count(evidence, 'server', 'MPCapableSYNTX') > 0;
    if (c.server.mpCapableReceived === true) return true;
    return (
      c.server.listener === 'mptcp' &&
      c.server.mpCapableReceived === false &&
      c.server.mpCapableEvidence === 'counters' &&
      count(evidence, 'client', 'MPCapableSYNTX') > 0
    );
  }
  if (fellBackMidStream(c)) return movedEither(evidence, DATA_FALLBACK_COUNTERS).length > 0;
  // Subflows reset by an MPTCP endpoint while the transfer stalled, with no checksum or mapping error.
  return (
    heldThroughout(c) &&
    lostSubflows(c) !== undefined &&
    movedEither(evidence, RESET_COUNTERS).length > 0 &&
    movedEither(evidence, PAYLOAD_COUNTERS).length === 0 &&
    transferFailed(evidence)
  );
}

export const REQUIRED_EVIDENCE: Record<VerdictCause, CauseRequirement> = {
  none: { requires: 'nothing: MPTCP held, or MPTCP was not asked for', met: () => true },
  'local-disabled': {
    requires: 'this host refused to create an MPTCP socket with ENOPROTOOPT (net.mptcp.enabled = 0)',
    met: (c) => c.socket === 'tcp' && c.socketReason === 'disabled',
  },
  'local-unsupported': {
    requires: 'this host refused to create an MPTCP socket (no MPTCP in the kernel, an old kernel, or a policy)',
    met: (c) => c.socket === 'tcp' && c.socketReason !== undefined && c.socketReason !== 'disabled' && c.socketReason !== 'forced',
  },
  blackhole: {
    requires: 'a handshake fallback on a connection we opened, and the kernel counting MP_CAPABLE SYNs dropped or active MPTCP disabled (MPCapableSYNTXDrop, MPCapableSYNTXDisabled, Blackhole), or blackhole state found before the probe',
    met: (c, evidence) =>
      fellBackAtHandshake(c) && !openedByServer(c) && (moved(evidence, 'client', BLACKHOLE_COUNTERS).length > 0 || evidence.blackholeActive === true),
  },
  'peer-no-mptcp': {
    requires: 'a handshake fallback, and the far end (mptcp-doctor serve) saying that it accepted this connection on a plain TCP listener or opened it with a plain TCP socket',
    met: (c) => fellBackAtHandshake(c) && farEndPlainTcp(c),
  },
  'peer-or-path-no-mptcp': {
    requires: 'a handshake fallback of a connection whose socket was MPTCP: MP_CAPABLE was offered and did not come back',
    met: (c) => fellBackAtHandshake(c),
  },
  'option-stripped': {
    requires:
      'the option was sent and lost: the far end saw MP_CAPABLE in the SYN yet the handshake fell back; or it listened with MPTCP, counted a SYN without the option while we counted MP_CAPABLE SYNs sent; or it opened the connection with MPTCP and counted MP_CAPABLE SYNs sent while ours arrived as plain TCP; or packets after the handshake arrived without it (MPCapableDataFallback); or subflows were reset mid-transfer without any checksum or mapping error while the transfer stalled',
    met: optionSentAndLost,
  },
  'payload-rewritten': {
    requires: 'a checksum or mapping error counted (DataCsumErr, MP_FAIL, DSS corruption, infinite mapping) on a connection that fell back, lost a subflow, saw a reset or got an odd reply',
    met: (c, evidence) =>
      movedEither(evidence, PAYLOAD_COUNTERS).length > 0 &&
      (fellBackMidStream(c) || lostSubflows(c) !== undefined || movedEither(evidence, RESET_COUNTERS).length > 0 || (c.role === 'control' && evidence.anomalies.length > 0)),
  },
  'stream-damaged': {
    requires: 'on the control connection: a subflow reset for corrupt data (DSSCorruptionReset) beside this connection losing a subflow or a reply that shows the server received other bytes than we sent; or such a reply beside a lost subflow or a reset',
    met: (c, evidence) =>
      c.role === 'control' &&
      heldThroughout(c) &&
      ((movedEither(evidence, DAMAGE_COUNTERS).length > 0 && (evidence.anomalies.length > 0 || lostSubflows(c) !== undefined)) ||
        (evidence.anomalies.length > 0 && (lostSubflows(c) !== undefined || movedEither(evidence, RESET_COUNTERS).length > 0))),
  },
  'join-failed': {
    requires: 'fewer subflows than the local endpoints allow, and a join attempt seen failing: a subflow that never carried data, join error counters, unanswered join SYNs, or answered joins that never became subflows',
    met: (c, evidence) => heldThroughout(c) && mostSubflows(c) < c.expectedSubflows && joinFailureFacts(c, evidence).length > 0,
  },
  'path-failed': {
    requires: 'a subflow that carried data went away, or stopped while the others went on, while the connection stayed MPTCP',
    met: (c) => heldThroughout(c) && (lostSubflows(c) !== undefined || stalledSubflows(c).length > 0),
  },
  unexplained: {
    requires: 'the connection started as MPTCP and later ran as plain TCP',
    met: (c) => fellBackMidStream(c),
  },
};
