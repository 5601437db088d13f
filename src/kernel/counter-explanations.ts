// MPTcpExt counters (/proc/net/netstat, per network namespace) in words: what a rise of N means.
// Names as Linux 6.18 prints them; older kernels have a subset, newer ones more (unknown names get
// a generic sentence).

type Explain = (n: number) => string;

const s = (n: number, one: string, many = `${one}s`) => (n === 1 ? one : many);

const EXPLANATIONS: Record<string, Explain> = {
  MPCapableSYNRX: (n) => `${n} incoming ${s(n, 'SYN')} offered MPTCP (MP_CAPABLE)`,
  MPCapableSYNTX: (n) => `${n} outgoing ${s(n, 'SYN')} offered MPTCP`,
  MPCapableSYNACKRX: (n) => `${n} outgoing ${s(n, 'connection')} got MP_CAPABLE back in the SYN-ACK`,
  MPCapableACKRX: (n) => `${n} incoming ${s(n, 'connection')} completed the MPTCP handshake (third ACK with MP_CAPABLE)`,
  MPCapableFallbackACK: (n) => `${n} incoming ${s(n, 'connection')} offered MPTCP and lost it after the SYN-ACK (third ACK without MP_CAPABLE)`,
  MPCapableFallbackSYNACK: (n) => `${n} outgoing ${s(n, 'connection')} offered MPTCP but the SYN-ACK came back without it: the server lacks MPTCP or a middlebox strips the option`,
  MPCapableSYNTXDrop: (n) => `${n} MPTCP ${s(n, 'SYN')} went unanswered and the retry went out without MPTCP (suspected blackhole)`,
  MPCapableSYNTXDisabled: (n) => `${n} outgoing ${s(n, 'connection')} did not even offer MPTCP: MPTCP is disabled after blackhole detection`,
  MPCapableEndpAttempt: (n) => `${n} MPTCP ${s(n, 'connection')} to a non-zero endpoint id`,
  MPCapableDataFallback: (n) => `${n} ${s(n, 'connection')} fell back to TCP when the first data arrived without MPTCP options (options stripped after the handshake)`,
  MPFallbackTokenInit: (n) => `${n} ${s(n, 'connection')} fell back because no token could be allocated`,
  MPTCPRetrans: (n) => `${n} MPTCP-level ${s(n, 'retransmission')} (data re-sent on a subflow after a stall)`,
  MPJoinNoTokenFound: (n) => `${n} MP_JOIN ${s(n, 'SYN')} named an unknown connection`,
  MPJoinSynRx: (n) => `${n} incoming MP_JOIN ${s(n, 'SYN')} (peers adding subflows)`,
  MPJoinSynBackupRx: (n) => `${n} incoming MP_JOIN ${s(n, 'SYN')} asked for backup subflows`,
  MPJoinSynAckRx: (n) => `${n} MP_JOIN ${s(n, 'SYN-ACK')} received: extra subflows this host opened were answered`,
  MPJoinSynAckBackupRx: (n) => `${n} MP_JOIN ${s(n, 'SYN-ACK')} for backup subflows`,
  MPJoinSynAckHMacFailure: (n) => `${n} MP_JOIN ${s(n, 'SYN-ACK')} failed the HMAC check (subflow refused)`,
  MPJoinAckRx: (n) => `${n} MP_JOIN third ${s(n, 'ACK')} received: extra subflows from peers completed`,
  MPJoinAckHMacFailure: (n) => `${n} MP_JOIN ${s(n, 'ACK')} failed the HMAC check (subflow refused)`,
  MPJoinRejected: (n) => `${n} MP_JOIN ${s(n, 'request')} refused: the subflows limit (\`ip mptcp limits\`) was reached or the path manager said no; the peer is reset with MP_TCPRST "administratively prohibited"`,
  MPJoinSynTx: (n) => `${n} MP_JOIN ${s(n, 'SYN')} sent: this host tried to add subflows`,
  MPJoinSynTxCreatSkErr: (n) => `${n} MP_JOIN ${s(n, 'attempt')} failed creating the subflow socket`,
  MPJoinSynTxBindErr: (n) => `${n} MP_JOIN ${s(n, 'attempt')} failed to bind the local address`,
  MPJoinSynTxConnectErr: (n) => `${n} MP_JOIN ${s(n, 'attempt')} failed to connect (no route on that path?)`,
  DSSNotMatching: (n) => `${n} DSS ${s(n, 'mapping')} did not match the data`,
  DSSCorruptionFallback: (n) => `${n} ${s(n, 'connection')} fell back to TCP after a data mapping was found corrupted (a middlebox changed the payload)`,
  DSSCorruptionReset: (n) => `${n} ${s(n, 'subflow')} reset after a data mapping was found corrupted (a middlebox changed the payload)`,
  InfiniteMapTx: (n) => `${n} infinite ${s(n, 'mapping')} sent: falling back to TCP mid-connection`,
  InfiniteMapRx: (n) => `${n} infinite ${s(n, 'mapping')} received: the peer fell back to TCP mid-connection`,
  DSSNoMatchTCP: (n) => `${n} DSS ${s(n, 'mapping')} did not match the TCP sequence`,
  DataCsumErr: (n) => `${n} data checksum ${s(n, 'error')} (a middlebox changed the payload)`,
  OFOQueueTail: (n) => `${n} out-of-order ${s(n, 'segment')} appended at the queue tail`,
  OFOQueue: (n) => `${n} ${s(n, 'segment')} queued out of order at the MPTCP level`,
  OFOMerge: (n) => `${n} out-of-order ${s(n, 'segment')} merged`,
  NoDSSInWindow: (n) => `${n} ${s(n, 'segment')} without a DSS mapping inside the window`,
  DuplicateData: (n) => `${n} ${s(n, 'segment')} of data that had already arrived (spurious MPTCP retransmissions)`,
  AddAddr: (n) => `${n} ADD_ADDR ${s(n, 'announcement')} received (peer offers another address)`,
  AddAddrTx: (n) => `${n} ADD_ADDR ${s(n, 'announcement')} sent`,
  AddAddrTxDrop: (n) => `${n} ADD_ADDR ${s(n, 'announcement')} could not be sent`,
  EchoAdd: (n) => `${n} ADD_ADDR ${s(n, 'echo', 'echoes')} received (the peer saw our announcement)`,
  EchoAddTx: (n) => `${n} ADD_ADDR ${s(n, 'echo', 'echoes')} sent`,
  EchoAddTxDrop: (n) => `${n} ADD_ADDR ${s(n, 'echo', 'echoes')} could not be sent`,
  PortAdd: (n) => `${n} ADD_ADDR ${s(n, 'announcement')} with a port received`,
  AddAddrDrop: (n) => `${n} ADD_ADDR ${s(n, 'announcement')} dropped (add_addr_accepted limit or invalid)`,
  MPJoinPortSynRx: (n) => `${n} MP_JOIN ${s(n, 'SYN')} on an announced port`,
  MPJoinPortSynAckRx: (n) => `${n} MP_JOIN ${s(n, 'SYN-ACK')} from an announced port`,
  MPJoinPortAckRx: (n) => `${n} MP_JOIN ${s(n, 'ACK')} on an announced port`,
  MismatchPortSynRx: (n) => `${n} MP_JOIN ${s(n, 'SYN')} on a port that was not announced`,
  MismatchPortAckRx: (n) => `${n} MP_JOIN ${s(n, 'ACK')} on a port that was not announced`,
  RmAddr: (n) => `${n} REMOVE_ADDR received (the peer lost an address)`,
  RmAddrDrop: (n) => `${n} REMOVE_ADDR could not be sent`,
  RmAddrTx: (n) => `${n} REMOVE_ADDR sent`,
  RmAddrTxDrop: (n) => `${n} REMOVE_ADDR could not be sent`,
  RmSubflow: (n) => `${n} ${s(n, 'subflow')} removed`,
  MPPrioTx: (n) => `${n} MP_PRIO sent (subflow priority changed)`,
  MPPrioRx: (n) => `${n} MP_PRIO received (the peer changed a subflow's priority)`,
  MPFailTx: (n) => `${n} MP_FAIL sent: checksum failure, falling back or resetting`,
  MPFailRx: (n) => `${n} MP_FAIL received: the peer saw a checksum failure`,
  MPFastcloseTx: (n) => `${n} MP_FASTCLOSE sent (connection aborted)`,
  MPFastcloseRx: (n) => `${n} MP_FASTCLOSE received (the peer aborted a connection)`,
  MPRstTx: (n) => `${n} MP_TCPRST sent (subflow reset with a reason)`,
  MPRstRx: (n) => `${n} MP_TCPRST received (the peer reset a subflow with a reason)`,
  RcvPruned: (n) => `${n} ${s(n, 'time')} received data was pruned for lack of memory`,
  SubflowStale: (n) => `${n} ${s(n, 'subflow')} marked stale (no progress: the path looks dead)`,
  SubflowRecover: (n) => `${n} stale ${s(n, 'subflow')} recovered`,
  SndWndShared: (n) => `${n} ${s(n, 'time')} the send window was shared between subflows`,
  RcvWndShared: (n) => `${n} ${s(n, 'time')} the receive window was shared between subflows`,
  RcvWndConflictUpdate: (n) => `${n} receive window ${s(n, 'conflict')} updated`,
  RcvWndConflict: (n) => `${n} receive window ${s(n, 'conflict')}`,
  MPCurrEstab: (n) => `${n > 0 ? '+' : ''}${n} currently established MPTCP connections (a gauge)`,
  Blackhole: (n) => `${n} MPTCP ${s(n, 'blackhole')} detected (MPTCP SYNs dropped on a path): MPTCP paused for new connections`,
  MD5SigFallback: (n) => `${n} ${s(n, 'connection')} fell back to TCP because TCP-MD5 is in use`,
  DssFallback: (n) => `${n} ${s(n, 'connection')} fell back to TCP on a DSS problem (mapping or checksum)`,
  SimultConnectFallback: (n) => `${n} simultaneous ${s(n, 'connect')} fell back to TCP`,
  FallbackFailed: (n) => `${n} ${s(n, 'fallback')} to TCP impossible: the connection was reset instead`,
  WinProbe: (n) => `${n} MPTCP window ${s(n, 'probe')} (the receiver advertised a zero window)`,
};

/** Counters that are levels, not event counts: their delta can be negative. */
export const GAUGES = new Set(['MPCurrEstab']);

export function explainCounter(name: string, delta: number): string {
  const explain = EXPLANATIONS[name];
  return explain ? explain(delta) : `${name} changed by ${delta}`;
}

export function isKnownCounter(name: string): boolean {
  return name in EXPLANATIONS;
}
