// A connection report for any of our sockets: how it was created and why, what it is now, and its subflows.
import {
  describeTcpReason, readSocketAddresses, readSubflows, readTcpInfo, sampleMptcpState, totalSubflows,
  type ConnectionState, type CreatedSocket, type MptcpInfo, type SocketAddress, type SocketKind,
  type SubflowDetail, type TcpReason,
} from '../native/index.js';

export interface ConnectionReport {
  /** The protocol the socket was created with. */
  socket: SocketKind;
  /** Why the socket is plain TCP (when `socket` is 'tcp' and we created it). */
  socketReason?: TcpReason;
  socketReasonText?: string;
  /** What the connection is now: 'fallback' means created MPTCP but running as plain TCP. */
  state: ConnectionState;
  /** Which kernel interface established `state`. */
  stateMethod: string;
  local?: SocketAddress;
  remote?: SocketAddress;
  subflows: {
    total: number;
    /** Where the details came from: MPTCP_FULL_INFO, MPTCP_TCPINFO + SUBFLOW_ADDRS, or TCP_INFO. */
    source: string;
  };
  subflowDetails: SubflowDetail[];
  info?: MptcpInfo;
  /** Why subflow details could not be read, when they could not. */
  subflowError?: string;
}

/**
 * Reads everything the kernel says about the socket on `fd`. `created` is how we opened it; for
 * accepted sockets it is unknown and SO_PROTOCOL tells.
 */
export function reportConnection(fd: number, created?: Pick<CreatedSocket, 'socket' | 'reason'>): ConnectionReport {
  const sample = sampleMptcpState(fd);
  const socket: SocketKind = created?.socket ?? sample.protocol ?? (sample.state === 'tcp' ? 'tcp' : 'mptcp');
  const { local, remote } = readSocketAddresses(fd);
  // A connection our MPTCP listener accepted as plain TCP (the peer's SYN had no MP_CAPABLE) was
  // offered MPTCP and did not get it: that is a fallback, as for a connection we opened.
  const offeredButRefused = created?.socket === 'mptcp' && sample.protocol === 'tcp';
  const report: ConnectionReport = {
    socket,
    state: socket === 'tcp' ? 'tcp' : offeredButRefused ? 'fallback' : sample.state,
    stateMethod: sample.method,
    local,
    remote,
    subflows: { total: 1, source: 'tcp_info' },
    subflowDetails: [],
  };
  if (socket === 'tcp' && created?.reason) {
    report.socketReason = created.reason;
    report.socketReasonText = describeTcpReason(created.reason);
  }
  if (report.state === 'mptcp') {
    if (sample.info) report.info = sample.info;
    try {
      const subflows = readSubflows(fd);
      report.info = subflows.info ?? report.info;
      report.subflowDetails = subflows.details;
      report.subflows = { total: subflows.count, source: subflows.source };
    } catch (error) {
      report.subflowError = (error as { code?: string }).code ?? String(error);
      if (report.info) report.subflows = { total: totalSubflows(report.info), source: 'mptcp_info' };
    }
    return report;
  }
  const tcp = readTcpInfo(fd);
  report.subflowDetails = [{ local, remote, ...(tcp ? { tcp } : {}) }];
  return report;
}

/** Counters that only grow: the larger value is the later truth. */
const GROWING_COUNTERS = ['bytesSent', 'bytesAcked', 'bytesReceived', 'bytesRetrans', 'totalRetrans'] as const;

function sameEndpoint(a: SocketAddress | undefined, b: SocketAddress | undefined): boolean {
  return a !== undefined && b !== undefined && a.address === b.address && a.port === b.port;
}

/**
 * `live` (taken while the connection was up: states, addresses) with each subflow's byte counters
 * raised to what `later` (taken as it closed) says. Subflows only in `later` are left out: they
 * never carried data while we watched, and the verdict reads the subflow list.
 */
export function withFinalCounters(live: ConnectionReport, later: ConnectionReport): ConnectionReport {
  const subflowDetails = live.subflowDetails.map((subflow) => {
    const end = later.subflowDetails.find((candidate) => sameEndpoint(candidate.local, subflow.local));
    if (!end?.tcp || !subflow.tcp) return subflow;
    const tcp = { ...subflow.tcp };
    for (const name of GROWING_COUNTERS) {
      const value = Math.max(subflow.tcp[name] ?? 0, end.tcp[name] ?? 0);
      if (subflow.tcp[name] !== undefined || end.tcp[name] !== undefined) tcp[name] = value;
    }
    return { ...subflow, tcp };
  });
  return { ...live, subflowDetails };
}
