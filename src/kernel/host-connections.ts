// The host-wide picture `conns` reports, built from sock_diag dumps and socket owners (pure):
// MPTCP connections with their subflows, listeners (MPTCP or plain TCP) with how their accepted
// connections fared, and a summary per program.
//
// How the kernel shows each case (Linux 6.x, checked on 6.18):
// - an MPTCP connection is an MPTCP socket (mptcp_info: token, flags, counters); its subflows are
//   TCP sockets whose ULP info names "mptcp" and carries the same token;
// - an MPTCP listener is an MPTCP socket in LISTEN, mirrored by a TCP listener with ULP "mptcp";
// - a client that did not offer MPTCP, or whose MP_CAPABLE was lost before the third ACK, is handed
//   to accept() as a plain TCP socket (no ULP) on the MPTCP listener's port: a handshake fallback;
// - a connection that fell back later keeps its MPTCP socket, with mptcp_info's FALLBACK flag.
import net from 'node:net';
import { totalSubflows } from '../native/decode-mptcp-info.js';
import type { SocketOwner } from '../sys/socket-owners.js';
import type { DiagSocket, Endpoint, TcpStateName } from './inet-diag.js';
import { formatToken } from './socket-token.js';

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

export interface ConnsSnapshot {
  connections: ConnectionView[];
  listeners: ListenerView[];
  processes: ProcessSummary[];
  totals: ConnsTotals;
}

export interface ConnsInput {
  /** Every MPTCP socket of the namespace (IPv4 and IPv6 dumps). */
  mptcp: readonly DiagSocket[];
  /** Every TCP socket, with ULP info. */
  tcp: readonly DiagSocket[];
  owners: ReadonlyMap<number, SocketOwner[]>;
}

export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.address.includes(':') ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** Does a socket bound to `local` belong to listener `listener` (same port, same or wildcard address)? */
function acceptedOn(listener: DiagSocket, local: Endpoint, family: 4 | 6): boolean {
  if (listener.local.port !== local.port) return false;
  if (listener.local.address === local.address) return true;
  if (!isWildcard(listener.local.address)) return false;
  // An IPv6 wildcard listener also takes IPv4 clients (as ::ffff:a.b.c.d) unless it is v6only; an IPv4
  // one takes only IPv4.
  return listener.family === 6 || family === 4;
}

class ListenerIndex {
  private readonly byPort = new Map<number, DiagSocket[]>();

  constructor(listeners: readonly DiagSocket[]) {
    for (const listener of listeners) {
      const list = this.byPort.get(listener.local.port);
      if (list) list.push(listener);
      else this.byPort.set(listener.local.port, [listener]);
    }
  }

  /** The most specific listener a socket bound to `local` was accepted on. */
  find(local: Endpoint, family: 4 | 6): DiagSocket | undefined {
    const candidates = (this.byPort.get(local.port) ?? []).filter((l) => acceptedOn(l, local, family));
    return candidates.find((l) => l.local.address === local.address) ?? candidates[0];
  }
}

function listenerId(kind: 'mptcp' | 'tcp', socket: DiagSocket): string {
  return `${kind} ${formatEndpoint(socket.local)}`;
}

function subflowView(socket: DiagSocket): SubflowView {
  const mptcp = socket.ulp?.mptcp;
  const flags = mptcp?.flagLetters ?? '';
  return {
    local: socket.local,
    remote: socket.remote,
    state: socket.state,
    ...(mptcp?.idLocal !== undefined ? { localId: mptcp.idLocal } : {}),
    ...(mptcp?.idRemote !== undefined ? { remoteId: mptcp.idRemote } : {}),
    flags,
    backup: /[Bb]/.test(flags),
    join: /[Jj]/.test(flags),
  };
}

export function buildConnsSnapshot(input: ConnsInput): ConnsSnapshot {
  const owners = (inode: number) => (inode === 0 ? [] : [...(input.owners.get(inode) ?? [])]);
  const mptcpListeners = input.mptcp.filter((s) => s.state === 'listen');
  const tcpListeners = input.tcp.filter((s) => s.state === 'listen' && s.ulp?.name !== 'mptcp');
  const mptcpIndex = new ListenerIndex(mptcpListeners);
  const tcpIndex = new ListenerIndex(tcpListeners);

  // Subflows by the token of their connection (listeners' subflows carry token 0).
  const subflowsByToken = new Map<number, DiagSocket[]>();
  for (const socket of input.tcp) {
    const token = socket.ulp?.mptcp?.tokenLocal;
    if (socket.ulp?.name !== 'mptcp' || !token || socket.state === 'listen') continue;
    const list = subflowsByToken.get(token);
    if (list) list.push(socket);
    else subflowsByToken.set(token, [socket]);
  }

  const connections: ConnectionView[] = [];
  for (const socket of input.mptcp) {
    if (socket.state === 'listen') continue;
    const info = socket.mptcpInfo;
    const fellBack = info?.fallback ?? false;
    const listener = mptcpIndex.find(socket.local, socket.family);
    const subflows = (info && info.token !== 0 ? subflowsByToken.get(info.token) ?? [] : []).map(subflowView);
    const flags: string[] = [];
    if (info?.fallback) flags.push('fallback');
    if (info?.remoteKeyReceived) flags.push('remote-key');
    if (info?.csumEnabled) flags.push('checksums');
    connections.push({
      socket: 'mptcp',
      state: fellBack ? 'fallback' : 'mptcp',
      // REMOTE_KEY_RECEIVED is set once the peer's key arrived (SYN-ACK, or third ACK on the server):
      // a fallback without it happened in the handshake.
      ...(fellBack ? { fallback: info!.remoteKeyReceived ? 'after-handshake' as const : 'handshake' as const } : {}),
      accepted: listener !== undefined,
      family: socket.family,
      local: socket.local,
      remote: socket.remote,
      tcpState: socket.state,
      ...(info && info.token !== 0 ? { token: formatToken(info.token) } : {}),
      subflowCount: info ? Math.max(totalSubflows(info), subflows.length) : subflows.length,
      subflows,
      ...(info?.bytesSent !== undefined ? { bytesSent: info.bytesSent } : {}),
      ...(info?.bytesReceived !== undefined ? { bytesReceived: info.bytesReceived } : {}),
      ...(info?.bytesRetrans !== undefined ? { bytesRetransmitted: info.bytesRetrans } : {}),
      ...(info?.retransmits !== undefined ? { retransmits: info.retransmits } : {}),
      flags,
      ...(info ? { addAddrSignal: info.addAddrSignal, addAddrAccepted: info.addAddrAccepted } : {}),
      ...(listener ? { listener: listenerId('mptcp', listener) } : {}),
      processes: owners(socket.inode),
      inode: socket.inode,
      uid: socket.uid,
    });
  }

  // Plain TCP sockets accepted on an MPTCP listener's port: handshake fallbacks. Subflows (ULP
  // "mptcp", including MP_JOINs that arrive on the listener's port) are not.
  const tcpAccepted = new Map<string, { connections: number; peers: Set<string> }>();
  for (const socket of input.tcp) {
    if (socket.state === 'listen' || socket.ulp?.name === 'mptcp') continue;
    const listener = mptcpIndex.find(socket.local, socket.family);
    if (!listener) {
      const plain = tcpIndex.find(socket.local, socket.family);
      if (plain) {
        const id = listenerId('tcp', plain);
        const entry = tcpAccepted.get(id) ?? { connections: 0, peers: new Set<string>() };
        entry.connections += 1;
        entry.peers.add(socket.remote.address);
        tcpAccepted.set(id, entry);
      }
      continue;
    }
    connections.push({
      socket: 'tcp',
      state: 'fallback',
      fallback: 'handshake',
      accepted: true,
      family: socket.family,
      local: socket.local,
      remote: socket.remote,
      tcpState: socket.state,
      subflowCount: 0,
      subflows: [],
      flags: [],
      listener: listenerId('mptcp', listener),
      processes: owners(socket.inode),
      inode: socket.inode,
      uid: socket.uid,
    });
  }

  const listeners: ListenerView[] = [
    ...mptcpListeners.map((s) => emptyListener('mptcp', s, owners(s.inode))),
    ...tcpListeners.map((s) => {
      const view = emptyListener('tcp', s, owners(s.inode));
      const accepted = tcpAccepted.get(view.id);
      if (accepted) {
        view.connections = accepted.connections;
        view.peers = [...accepted.peers].sort();
      }
      return view;
    }),
  ];
  return summarize(connections, mergeSameEndpoint(listeners));
}

/** SO_REUSEPORT gives several listening sockets one endpoint: one view each, their processes together. */
function mergeSameEndpoint(listeners: ListenerView[]): ListenerView[] {
  const byId = new Map<string, ListenerView>();
  for (const l of listeners) {
    const seen = byId.get(l.id);
    if (!seen) {
      byId.set(l.id, l);
      continue;
    }
    for (const p of l.processes) if (!seen.processes.some((q) => q.pid === p.pid)) seen.processes.push(p);
    seen.connections += l.connections;
    seen.peers = [...new Set([...seen.peers, ...l.peers])].sort();
  }
  return [...byId.values()];
}

function emptyListener(kind: 'mptcp' | 'tcp', socket: DiagSocket, processes: SocketOwner[]): ListenerView {
  return {
    id: listenerId(kind, socket),
    kind,
    family: socket.family,
    local: socket.local,
    processes,
    inode: socket.inode,
    connections: 0,
    mptcp: 0,
    fallbacks: 0,
    handshakeFallbacks: 0,
    subflows: 0,
    peers: [],
  };
}

/**
 * Listener counts (MPTCP listeners: from `connections`), the per-program summary and totals.
 * Called again after filtering, so every figure describes what is shown.
 */
export function summarize(connections: ConnectionView[], listenerList: ListenerView[]): ConnsSnapshot {
  const listeners = listenerList.map((l) => (l.kind === 'mptcp' ? { ...l, connections: 0, mptcp: 0, fallbacks: 0, handshakeFallbacks: 0, subflows: 0, peers: [] as string[] } : { ...l }));
  const byId = new Map(listeners.map((l) => [l.id, l]));
  const listenerPeers = new Map<string, Set<string>>();
  for (const c of connections) {
    const listener = c.listener ? byId.get(c.listener) : undefined;
    if (!listener) continue;
    listener.connections += 1;
    if (c.state === 'mptcp') listener.mptcp += 1;
    else listener.fallbacks += 1;
    if (c.fallback === 'handshake') listener.handshakeFallbacks += 1;
    listener.subflows += c.subflowCount;
    const peers = listenerPeers.get(listener.id) ?? new Set<string>();
    peers.add(c.remote.address);
    listenerPeers.set(listener.id, peers);
  }
  for (const [id, peers] of listenerPeers) byId.get(id)!.peers = [...peers].sort();

  const programs = new Map<string, { pids: Set<number>; listeners: Set<string>; connections: number; mptcp: number; fallbacks: number; subflows: number; peers: Set<string> }>();
  const program = (command: string) => {
    let entry = programs.get(command);
    if (!entry) {
      entry = { pids: new Set(), listeners: new Set(), connections: 0, mptcp: 0, fallbacks: 0, subflows: 0, peers: new Set() };
      programs.set(command, entry);
    }
    return entry;
  };
  for (const l of listeners) {
    for (const owner of l.processes) {
      const entry = program(owner.command);
      entry.pids.add(owner.pid);
      entry.listeners.add(l.id);
    }
  }
  for (const c of connections) {
    // A socket shared by several processes of one program (fork) counts once for that program.
    for (const command of new Set(c.processes.map((p) => p.command))) {
      const entry = program(command);
      for (const p of c.processes) if (p.command === command) entry.pids.add(p.pid);
      entry.connections += 1;
      if (c.state === 'mptcp') entry.mptcp += 1;
      else entry.fallbacks += 1;
      entry.subflows += c.subflowCount;
      entry.peers.add(c.remote.address);
    }
  }
  const processes: ProcessSummary[] = [...programs.entries()]
    .map(([command, e]) => ({
      command,
      pids: [...e.pids].sort((a, b) => a - b),
      listeners: [...e.listeners],
      connections: e.connections,
      mptcp: e.mptcp,
      fallbacks: e.fallbacks,
      subflows: e.subflows,
      peers: [...e.peers].sort(),
    }))
    .sort((a, b) => b.connections - a.connections || a.command.localeCompare(b.command));

  return {
    connections,
    listeners,
    processes,
    totals: {
      connections: connections.length,
      mptcp: connections.filter((c) => c.state === 'mptcp').length,
      fallbacks: connections.filter((c) => c.state === 'fallback').length,
      subflows: connections.reduce((n, c) => n + c.subflowCount, 0),
      mptcpListeners: listeners.filter((l) => l.kind === 'mptcp').length,
      tcpListeners: listeners.filter((l) => l.kind === 'tcp').length,
    },
  };
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

/** The snapshot restricted to what the filters select, its counts recomputed over what is left. */
export function filterSnapshot(snapshot: ConnsSnapshot, filter: ConnsFilter): ConnsSnapshot {
  // Nothing to filter: the counts already describe everything (and tens of thousands of connections
  // are not worth a second pass).
  if (filter.port === undefined && filter.pid === undefined && filter.peer === undefined && filter.state === undefined) return snapshot;
  const peer = filter.peer ? peerMatcher(filter.peer) : undefined;
  const connections = snapshot.connections.filter((c) =>
    (filter.port === undefined || c.local.port === filter.port || c.remote.port === filter.port) &&
    (filter.pid === undefined || c.processes.some((p) => p.pid === filter.pid)) &&
    (peer === undefined || peer(c.remote.address)) &&
    (filter.state === undefined || c.state === filter.state));
  const connectionOnly = peer !== undefined || filter.state !== undefined;
  const withConnections = new Set(connections.map((c) => c.listener).filter((id): id is string => id !== undefined));
  const listeners = snapshot.listeners.filter((l) =>
    (filter.port === undefined || l.local.port === filter.port) &&
    (filter.pid === undefined || l.processes.some((p) => p.pid === filter.pid)) &&
    (!connectionOnly || withConnections.has(l.id)));
  return summarize(connections, listeners);
}
