// The host-wide picture `conns` reports, as it is shown (the JSON schema): MPTCP connections with
// their subflows, listeners (MPTCP or plain TCP) with how their accepted connections fared, and a
// summary per program; and the filters. conns-builder.ts makes it from sock_diag dumps and socket
// owners, connection-table.ts keeps the connections, conns-selection.ts filters and sums them up.
import net from 'node:net';
import type { SocketOwner } from '../sys/socket-owners.js';
import type { Endpoint, TcpStateName } from './inet-diag.js';

export interface SubflowView {
  local: Endpoint;
  remote: Endpoint;
  state: TcpStateName;
  localId?: number;
  remoteId?: number;
  /** ss's letters: M/m MP_CAPABLE remote/local, J/j MP_JOIN, B/b backup, e fully established, c connected, v map valid. */
  flags: string;
  backup: boolean;
  /** Opened by MP_JOIN (an additional subflow), not by the MP_CAPABLE handshake. */
  join: boolean;
}

export type ConnectionState = 'mptcp' | 'fallback';

export interface ConnectionView {
  /** 'tcp': a plain TCP socket accepted on an MPTCP listener (a fallback at the handshake). */
  socket: 'mptcp' | 'tcp';
  state: ConnectionState;
  /**
   * Where the fallback happened, when it did: at the handshake (a plain TCP socket on an MPTCP
   * listener, or an MPTCP socket that never received the peer's key), or later (the key had arrived).
   */
  fallback?: 'handshake' | 'after-handshake';
  /**
   * Accepted on a listener that is still open (the server side). False for connections this host
   * opened, and for server sockets whose listener is gone (FTP's passive data connections).
   */
  accepted: boolean;
  family: 4 | 6;
  local: Endpoint;
  remote: Endpoint;
  tcpState: TcpStateName;
  /** The connection's local token (8 hex digits, as ss and `ip mptcp monitor` print it). */
  token?: string;
  /** Subflows as the kernel counts them (mptcp_info); 0 for a plain TCP socket, which has none. */
  subflowCount: number;
  /** The subflows found in the TCP dump, tied by token. */
  subflows: SubflowView[];
  bytesSent?: number;
  bytesReceived?: number;
  bytesRetransmitted?: number;
  retransmits?: number;
  /** mptcp_info flags by name: 'fallback', 'remote-key'; 'checksums' when DSS checksums are on. */
  flags: string[];
  addAddrSignal?: number;
  addAddrAccepted?: number;
  /** The listener this server-side connection was accepted on. */
  listener?: string;
  processes: SocketOwner[];
  inode: number;
  uid: number;
}

export interface ListenerView {
  /** "mptcp 10.1.100.2:21" or "tcp [::]:22": unique within a snapshot. */
  id: string;
  kind: 'mptcp' | 'tcp';
  family: 4 | 6;
  local: Endpoint;
  processes: SocketOwner[];
  inode: number;
  /** Connections accepted on it (still open). */
  connections: number;
  /** Of those, MPTCP ones still MPTCP. */
  mptcp: number;
  /** Of those, fallbacks: plain TCP accepted at the handshake plus MPTCP ones that fell back later. */
  fallbacks: number;
  handshakeFallbacks: number;
  subflows: number;
  peers: string[];
}

export interface ProcessSummary {
  command: string;
  pids: number[];
  /** Listener ids this program holds. */
  listeners: string[];
  connections: number;
  mptcp: number;
  fallbacks: number;
  subflows: number;
  peers: string[];
}

export interface ConnsTotals {
  connections: number;
  mptcp: number;
  fallbacks: number;
  subflows: number;
  mptcpListeners: number;
  tcpListeners: number;
}

/** Everything but the connections: what the report shows before (text) or after (JSON) them. */
export interface ConnsSummary {
  listeners: ListenerView[];
  processes: ProcessSummary[];
  totals: ConnsTotals;
}

export interface ConnsSnapshot extends ConnsSummary {
  connections: ConnectionView[];
}

export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.address.includes(':') ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

export interface ConnsFilter {
  port?: number;
  pid?: number;
  /** An address, or a prefix "10.1.0.0/16". */
  peer?: string;
  state?: ConnectionState;
}

export class ConnsFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnsFilterError';
  }
}

/** Parses --peer: an IPv4/IPv6 address or prefix; throws ConnsFilterError on anything else. */
export function peerMatcher(peer: string): (address: string) => boolean {
  const [address, lengthText] = peer.split('/');
  const family = net.isIP(address ?? '');
  if (family === 0) throw new ConnsFilterError(`--peer ${peer}: not an IP address or prefix`);
  const max = family === 4 ? 32 : 128;
  const length = lengthText === undefined ? max : Number(lengthText);
  if (!Number.isInteger(length) || length < 0 || length > max || (lengthText !== undefined && !/^\d+$/.test(lengthText))) {
    throw new ConnsFilterError(`--peer ${peer}: prefix length must be 0-${max}`);
  }
  const list = new net.BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(address!, length, type);
  return (candidate: string) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(candidate);
    const plain = mapped && family === 4 ? mapped[1]! : candidate;
    const candidateFamily = net.isIP(plain);
    if (candidateFamily !== family) return false;
    return list.check(plain, type);
  };
}
