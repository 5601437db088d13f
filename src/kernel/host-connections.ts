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
import { MPTCP_INFO_FLAG_FALLBACK, MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED } from '../native/decode-mptcp-info.js';
import type { SocketOwner } from '../sys/socket-owners.js';
import { AddressNames, DiagCursor, dumpDescription, MptcpInfoFields, SubflowFields, walkDump } from './diag-walk.js';
import { TCP_LISTEN, TCP_STATES, type Endpoint, type TcpStateName } from './inet-diag.js';
import { formatToken } from './socket-token.js';
import { decodeSubflowFlags } from './ulp-info.js';

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
  /**
   * sock_diag replies for every MPTCP socket of the namespace (the IPv4 and the IPv6 dump), as the
   * kernel sent them, with mptcp_info (INET_DIAG_INFO).
   */
  mptcp: readonly Buffer[];
  /** The same for every TCP socket, with INET_DIAG_INFO asked for (the kernel then adds the ULP info). */
  tcp: readonly Buffer[];
  /**
   * Socket inode to the processes holding it. The lists are shared by the views built from them
   * (one per process in readSocketOwners): nothing may change them.
   */
  owners: ReadonlyMap<number, readonly SocketOwner[]>;
}

export interface ConnsBuild {
  snapshot: ConnsSnapshot;
  /** A dump the kernel flagged as inconsistent (sockets came and went while it was read). */
  interrupted: boolean;
}

export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.address.includes(':') ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** What the model keeps of a listening socket. */
interface ListeningSocket {
  family: 4 | 6;
  local: Endpoint;
  inode: number;
}

/** Does a socket bound to `address`:`port` belong to `listener` (same port, same or wildcard address)? */
function acceptedOn(listener: ListeningSocket, address: string, family: 4 | 6): boolean {
  if (listener.local.address === address) return true;
  if (!isWildcard(listener.local.address)) return false;
  // An IPv6 wildcard listener also takes IPv4 clients (as ::ffff:a.b.c.d) unless it is v6only; an IPv4
  // one takes only IPv4.
  return listener.family === 6 || family === 4;
}

class ListenerIndex {
  private readonly byPort = new Map<number, ListeningSocket[]>();

  constructor(listeners: readonly ListeningSocket[]) {
    for (const listener of listeners) {
      const list = this.byPort.get(listener.local.port);
      if (list) list.push(listener);
      else this.byPort.set(listener.local.port, [listener]);
    }
  }

  /** The most specific listener a socket bound to `address`:`port` was accepted on. */
  find(address: string, port: number, family: 4 | 6): ListeningSocket | undefined {
    const candidates = this.byPort.get(port);
    if (candidates === undefined) return undefined;
    let first: ListeningSocket | undefined;
    for (const listener of candidates) {
      if (!acceptedOn(listener, address, family)) continue;
      if (listener.local.address === address) return listener;
      first ??= listener;
    }
    return first;
  }
}

function listenerId(kind: 'mptcp' | 'tcp', socket: ListeningSocket): string {
  return `${kind} ${formatEndpoint(socket.local)}`;
}

const MPTCP_DUMP = dumpDescription('mptcp');
const TCP_DUMP = dumpDescription('tcp');
const NO_OWNERS: readonly SocketOwner[] = Object.freeze([]);

const SUBFLOW_FLAG_JOIN = (1 << 2) | (1 << 3);
const SUBFLOW_FLAG_BACKUP = (1 << 4) | (1 << 5);
const subflowLetters = new Map<number, string>();
/** ss's letters for a subflow's flags, made once per distinct set. */
function subflowFlagLetters(flags: number): string {
  let letters = subflowLetters.get(flags);
  if (letters === undefined) {
    letters = decodeSubflowFlags(flags).flagLetters;
    subflowLetters.set(flags, letters);
  }
  return letters;
}

/** mptcp_info flags by name, one shared array per combination (nothing changes them). */
const infoFlagNames = new Map<number, string[]>();
function connectionFlags(fallback: boolean, remoteKey: boolean, checksums: boolean): string[] {
  const key = (fallback ? 1 : 0) | (remoteKey ? 2 : 0) | (checksums ? 4 : 0);
  let names = infoFlagNames.get(key);
  if (names === undefined) {
    names = [];
    if (fallback) names.push('fallback');
    if (remoteKey) names.push('remote-key');
    if (checksums) names.push('checksums');
    infoFlagNames.set(key, names);
  }
  return names;
}

function tcpStateName(code: number): TcpStateName {
  return TCP_STATES[code] ?? 'unknown';
}

/**
 * Builds the model from sock_diag replies as they arrive, each walked in place (diag-walk.ts) and
 * then free to go: a view is made once per connection and subflow, directly from the bytes. Three
 * phases, in this order, because each matches against the one before: listeners (addListeners,
 * from both protocols: the kernel dumps MPTCP listeners after the connections, so they need a pass
 * or a dump of their own), TCP sockets (addTcp: subflows by their connection's token; plain TCP
 * sockets accepted on listeners), MPTCP connections (addMptcp). A reply may come whole or in pieces
 * of whole datagrams; listening sockets are skipped by addTcp and addMptcp, so the same replies
 * can go through every phase.
 */
export class ConnsBuilder {
  private readonly names = new AddressNames();
  private readonly cursor = new DiagCursor();
  private readonly subflow = new SubflowFields();
  private readonly info = new MptcpInfoFields();
  private owners: ReadonlyMap<number, readonly SocketOwner[]> = new Map();
  private interrupted = false;
  private readonly mptcpListeners: ListeningSocket[] = [];
  private readonly tcpListeners: ListeningSocket[] = [];
  private mptcpIndex: ListenerIndex | undefined;
  private tcpIndex: ListenerIndex | undefined;
  private readonly subflowsByToken = new Map<number, SubflowView[]>();
  private readonly connections: ConnectionView[] = [];
  private readonly plainConnections: ConnectionView[] = [];
  private readonly tcpAccepted = new Map<string, { connections: number; peers: Set<string> }>();

  /** The processes holding each socket inode, for the views made from now on and the listeners. */
  setOwners(owners: ReadonlyMap<number, readonly SocketOwner[]>): void {
    this.owners = owners;
  }

  private owned(inode: number): SocketOwner[] {
    return (inode === 0 ? NO_OWNERS : this.owners.get(inode) ?? NO_OWNERS) as SocketOwner[];
  }

  private listening(s: DiagCursor): ListeningSocket {
    return { family: s.family, local: { address: this.names.local(s), port: s.localPort }, inode: s.inode };
  }

  /** Phase 1: the listening sockets of a reply (`protocol` says which dump it is), the rest skipped. */
  addListeners(protocol: 'mptcp' | 'tcp', reply: Buffer): void {
    const walk = walkDump(reply, protocol === 'mptcp' ? MPTCP_DUMP : TCP_DUMP, (s) => {
      if (s.state !== TCP_LISTEN) return;
      if (protocol === 'mptcp') this.mptcpListeners.push(this.listening(s));
      // An MPTCP listener is mirrored by a TCP listener with the "mptcp" ULP: not a plain one.
      else if (!s.isMptcpSubflow()) this.tcpListeners.push(this.listening(s));
    }, this.cursor);
    this.interrupted ||= walk.interrupted;
  }

  private indexes(): { mptcp: ListenerIndex; tcp: ListenerIndex } {
    this.mptcpIndex ??= new ListenerIndex(this.mptcpListeners);
    this.tcpIndex ??= new ListenerIndex(this.tcpListeners);
    return { mptcp: this.mptcpIndex, tcp: this.tcpIndex };
  }

  /**
   * Phase 2: TCP sockets. Subflows go by the token of their connection (listeners' subflows carry
   * token 0); plain TCP sockets accepted on an MPTCP listener's port are handshake fallbacks.
   * Subflows (ULP "mptcp", including MP_JOINs that arrive on the listener's port) are not.
   */
  addTcp(reply: Buffer): void {
    const { mptcp: mptcpIndex, tcp: tcpIndex } = this.indexes();
    const { names, subflow, subflowsByToken, tcpAccepted } = this;
    const walk = walkDump(reply, TCP_DUMP, (s) => {
      const state = s.state;
      if (state === TCP_LISTEN) return;
      if (s.isMptcpSubflow()) {
        if (!s.readSubflow(subflow)) return;
        const token = subflow.tokenLocal;
        if (!token) return;
        const flags = subflow.flags;
        // Every key, as for connections below.
        const view: SubflowView = {
          local: { address: names.local(s), port: s.localPort },
          remote: { address: names.remote(s), port: s.remotePort },
          state: tcpStateName(state),
          localId: subflow.idLocal,
          remoteId: subflow.idRemote,
          flags: subflowFlagLetters(flags),
          backup: (flags & SUBFLOW_FLAG_BACKUP) !== 0,
          join: (flags & SUBFLOW_FLAG_JOIN) !== 0,
        };
        const list = subflowsByToken.get(token);
        if (list) list.push(view);
        else subflowsByToken.set(token, [view]);
        return;
      }
      const family = s.family;
      const localAddress = names.local(s);
      const localPort = s.localPort;
      const listener = mptcpIndex.find(localAddress, localPort, family);
      if (!listener) {
        const plain = tcpIndex.find(localAddress, localPort, family);
        if (plain) {
          const id = listenerId('tcp', plain);
          let entry = tcpAccepted.get(id);
          if (!entry) {
            entry = { connections: 0, peers: new Set<string>() };
            tcpAccepted.set(id, entry);
          }
          entry.connections += 1;
          entry.peers.add(names.remote(s));
        }
        return;
      }
      const inode = s.inode;
      // Every key of a view, in the same order, even without a value (undefined, which JSON leaves
      // out): one object shape for all views, which V8 builds and serializes fastest.
      this.plainConnections.push({
        socket: 'tcp',
        state: 'fallback',
        fallback: 'handshake',
        accepted: true,
        family,
        local: { address: localAddress, port: localPort },
        remote: { address: names.remote(s), port: s.remotePort },
        tcpState: tcpStateName(state),
        token: undefined,
        subflowCount: 0,
        subflows: [],
        bytesSent: undefined,
        bytesReceived: undefined,
        bytesRetransmitted: undefined,
        retransmits: undefined,
        flags: connectionFlags(false, false, false),
        addAddrSignal: undefined,
        addAddrAccepted: undefined,
        listener: listenerId('mptcp', listener),
        processes: this.owned(inode),
        inode,
        uid: s.uid,
      });
    }, this.cursor);
    this.interrupted ||= walk.interrupted;
  }

  /** Phase 3: MPTCP connections, with the subflows phase 2 found for their token. */
  addMptcp(reply: Buffer): void {
    const { mptcp: mptcpIndex } = this.indexes();
    const { names, info, subflowsByToken } = this;
    const walk = walkDump(reply, MPTCP_DUMP, (s) => {
      const state = s.state;
      if (state === TCP_LISTEN) return;
      const hasInfo = s.readMptcpInfo(info);
      const fellBack = hasInfo && (info.flags & MPTCP_INFO_FLAG_FALLBACK) !== 0;
      const remoteKey = hasInfo && (info.flags & MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED) !== 0;
      const family = s.family;
      const localAddress = names.local(s);
      const localPort = s.localPort;
      const listener = mptcpIndex.find(localAddress, localPort, family);
      const token = hasInfo ? info.token : 0;
      const subflows = token !== 0 ? subflowsByToken.get(token) ?? [] : [];
      const inode = s.inode;
      this.connections.push({
        socket: 'mptcp',
        state: fellBack ? 'fallback' : 'mptcp',
        // REMOTE_KEY_RECEIVED is set once the peer's key arrived (SYN-ACK, or third ACK on the server):
        // a fallback without it happened in the handshake.
        fallback: fellBack ? (remoteKey ? 'after-handshake' : 'handshake') : undefined,
        accepted: listener !== undefined,
        family,
        local: { address: localAddress, port: localPort },
        remote: { address: names.remote(s), port: s.remotePort },
        tcpState: tcpStateName(state),
        token: token !== 0 ? formatToken(token) : undefined,
        // totalSubflows (decode-mptcp-info.ts): subflows_total where the kernel has it (6.8+), else
        // the additional ones plus the first.
        subflowCount: hasInfo ? Math.max(info.subflowsTotal ?? info.subflows + 1, subflows.length) : subflows.length,
        subflows,
        bytesSent: hasInfo ? info.bytesSent : undefined,
        bytesReceived: hasInfo ? info.bytesReceived : undefined,
        bytesRetransmitted: hasInfo ? info.bytesRetrans : undefined,
        retransmits: hasInfo ? info.retransmits : undefined,
        flags: connectionFlags(fellBack, remoteKey, hasInfo && info.csumEnabled === true),
        addAddrSignal: hasInfo ? info.addAddrSignal : undefined,
        addAddrAccepted: hasInfo ? info.addAddrAccepted : undefined,
        listener: listener ? listenerId('mptcp', listener) : undefined,
        processes: this.owned(inode),
        inode,
        uid: s.uid,
      });
    }, this.cursor);
    this.interrupted ||= walk.interrupted;
  }

  /** The snapshot: MPTCP connections, then plain TCP ones accepted on MPTCP listeners; the listeners. */
  finish(): ConnsBuild {
    const connections = this.connections;
    for (const c of this.plainConnections) connections.push(c);
    // Listeners' process lists are copies: merging SO_REUSEPORT listeners adds to them.
    const listeners: ListenerView[] = [
      ...this.mptcpListeners.map((s) => emptyListener('mptcp', s, [...this.owned(s.inode)])),
      ...this.tcpListeners.map((s) => {
        const view = emptyListener('tcp', s, [...this.owned(s.inode)]);
        const accepted = this.tcpAccepted.get(view.id);
        if (accepted) {
          view.connections = accepted.connections;
          view.peers = [...accepted.peers].sort();
        }
        return view;
      }),
    ];
    return { snapshot: summarize(connections, mergeSameEndpoint(listeners)), interrupted: this.interrupted };
  }
}

/** The model of whole dump replies (every socket of each, listeners included). */
export function buildConns(input: ConnsInput): ConnsBuild {
  const builder = new ConnsBuilder();
  builder.setOwners(input.owners);
  for (const reply of input.mptcp) builder.addListeners('mptcp', reply);
  for (const reply of input.tcp) builder.addListeners('tcp', reply);
  for (const reply of input.tcp) builder.addTcp(reply);
  for (const reply of input.mptcp) builder.addMptcp(reply);
  return builder.finish();
}

export function buildConnsSnapshot(input: ConnsInput): ConnsSnapshot {
  return buildConns(input).snapshot;
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

function emptyListener(kind: 'mptcp' | 'tcp', socket: ListeningSocket, processes: SocketOwner[]): ListenerView {
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
