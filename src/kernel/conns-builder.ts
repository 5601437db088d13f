// Builds the host-wide model (host-connections.ts) from sock_diag replies and socket owners, reading
// each socket where it lies in the bytes (diag-walk.ts) into rows of numbers (connection-table.ts).
//
// How the kernel shows each case (Linux 6.x, checked on 6.18):
// - an MPTCP connection is an MPTCP socket (mptcp_info: token, flags, counters); its subflows are
//   TCP sockets whose ULP info names "mptcp" and carries the same token;
// - an MPTCP listener is an MPTCP socket in LISTEN, mirrored by a TCP listener with ULP "mptcp";
// - a client that did not offer MPTCP, or whose MP_CAPABLE was lost before the third ACK, is handed
//   to accept() as a plain TCP socket (no ULP) on the MPTCP listener's port: a handshake fallback;
// - a connection that fell back later keeps its MPTCP socket, with mptcp_info's FALLBACK flag.
import { MPTCP_INFO_FLAG_FALLBACK, MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED } from '../native/decode-mptcp-info.js';
import type { SocketOwner } from '../sys/socket-owners.js';
import { ConnectionTable, Row, SubflowTable, type ConnectionRow } from './connection-table.js';
import { selectConnections } from './conns-selection.js';
import { AddressNames, DumpReader, dumpDescription, MptcpInfoFields, SubflowFields } from './diag-walk.js';
import { formatEndpoint, type ConnsSnapshot, type ListenerView } from './host-connections.js';
import { TCP_LISTEN, type Endpoint } from './inet-diag.js';
import { U32Map } from './u32-map.js';

export interface ConnsInput {
  /**
   * sock_diag replies for every MPTCP socket of the namespace (the IPv4 and the IPv6 dump), as the
   * kernel sent them, with mptcp_info (INET_DIAG_INFO).
   */
  mptcp: readonly Buffer[];
  /** The same for every TCP socket, with INET_DIAG_INFO asked for (the kernel then adds the ULP info). */
  tcp: readonly Buffer[];
  /** Socket inode to the processes holding it (readSocketOwners). Nothing may change the lists. */
  owners: ReadonlyMap<number, readonly SocketOwner[]>;
}

/** The model before filtering: every connection, and the listeners with their own figures not yet summed. */
export interface ConnsModel {
  table: ConnectionTable;
  /** One per endpoint (SO_REUSEPORT siblings merged); plain TCP ones already count what they accepted. */
  listeners: ListenerView[];
  /** A dump the kernel flagged as inconsistent (sockets came and went while it was read). */
  interrupted: boolean;
}

/** What the model keeps of a listening socket. */
interface ListeningSocket {
  family: 4 | 6;
  local: Endpoint;
  inode: number;
  id: string;
  /** The number of `id` in the table's listener ids, once a connection was matched to it. */
  idIndex: number;
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** Does a socket bound to `address` belong to `listener` (same or wildcard address; same port already)? */
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

const MPTCP_DUMP = dumpDescription('mptcp');
const TCP_DUMP = dumpDescription('tcp');

/**
 * Builds the model from sock_diag replies as they arrive, each read in place and then free to go.
 * Three phases, in this order, because each matches against the one before: listeners
 * (addListeners, from both protocols: the kernel dumps MPTCP listeners after the connections, so
 * they need a pass or a dump of their own), TCP sockets (addTcp: subflows by their connection's
 * token; plain TCP sockets accepted on listeners), MPTCP connections (addMptcp). A reply may come
 * whole or in pieces of whole datagrams; addTcp and addMptcp skip listening sockets, so the same
 * replies can go through every phase. Owners must be set before addTcp.
 */
export class ConnsBuilder {
  private readonly names = new AddressNames();
  private readonly reader = new DumpReader();
  private readonly subflow = new SubflowFields();
  private readonly info = new MptcpInfoFields();
  private owners: ReadonlyMap<number, readonly SocketOwner[]> = new Map();
  private readonly ownerLists: (readonly SocketOwner[])[] = [];
  private readonly ownerListIndex = new Map<readonly SocketOwner[], number>();
  private readonly listenerIds: string[] = [];
  private readonly subflows = new SubflowTable();
  private readonly firstSubflow = new U32Map();
  private readonly lastSubflow = new U32Map();
  private readonly connections = new ConnectionTable(this.names.names, this.listenerIds, this.ownerLists, this.subflows);
  private readonly plainConnections = new ConnectionTable(this.names.names, this.listenerIds, this.ownerLists, this.subflows);
  private readonly mptcpListeners: ListeningSocket[] = [];
  private readonly tcpListeners: ListeningSocket[] = [];
  private mptcpIndex: ListenerIndex | undefined;
  private tcpIndex: ListenerIndex | undefined;
  private readonly tcpAccepted = new Map<string, { connections: number; peers: Set<string> }>();
  /** Reused for every row: the table copies it. */
  private readonly row: ConnectionRow = {
    flags: 0, tcpState: 0, localName: 0, localPort: 0, remoteName: 0, remotePort: 0, token: 0, subflowCount: 0, firstSubflow: -1,
    bytesSent: undefined, bytesReceived: undefined, bytesRetransmitted: undefined, retransmits: undefined, addAddrSignal: 0,
    addAddrAccepted: 0, listener: -1, owners: -1, inode: 0, uid: 0,
  };

  /** The processes holding each socket inode, for the rows made from now on and the listeners. */
  setOwners(owners: ReadonlyMap<number, readonly SocketOwner[]>): void {
    this.owners = owners;
  }

  private ownersOf(inode: number): number {
    if (inode === 0) return -1;
    const list = this.owners.get(inode);
    if (list === undefined || list.length === 0) return -1;
    let index = this.ownerListIndex.get(list);
    if (index === undefined) {
      index = this.ownerLists.push(list) - 1;
      this.ownerListIndex.set(list, index);
    }
    return index;
  }

  private listenerIndex(listener: ListeningSocket): number {
    if (listener.idIndex < 0) {
      const known = this.listenerIds.indexOf(listener.id);
      listener.idIndex = known >= 0 ? known : this.listenerIds.push(listener.id) - 1;
    }
    return listener.idIndex;
  }

  private listening(kind: 'mptcp' | 'tcp', s: DumpReader): ListeningSocket {
    const local = { address: this.names.local(s), port: s.localPort };
    return { family: s.family, local, inode: s.inode, id: `${kind} ${formatEndpoint(local)}`, idIndex: -1 };
  }

  /** Phase 1: the listening sockets of a reply (`protocol` says which dump it is), the rest skipped. */
  addListeners(protocol: 'mptcp' | 'tcp', reply: Buffer): void {
    const s = this.reader.start(reply, protocol === 'mptcp' ? MPTCP_DUMP : TCP_DUMP);
    while (s.next()) {
      if (s.state !== TCP_LISTEN) continue;
      if (protocol === 'mptcp') this.mptcpListeners.push(this.listening('mptcp', s));
      // An MPTCP listener is mirrored by a TCP listener with the "mptcp" ULP: not a plain one.
      else if (!s.isMptcpSubflow()) this.tcpListeners.push(this.listening('tcp', s));
    }
  }

  /** Phase 1 is over: index the listeners. */
  private indexes(): void {
    this.mptcpIndex ??= new ListenerIndex(this.mptcpListeners);
    this.tcpIndex ??= new ListenerIndex(this.tcpListeners);
  }

  /**
   * Phase 2: TCP sockets. Subflows are chained by the token of their connection (listeners' subflows
   * carry token 0); plain TCP sockets accepted on an MPTCP listener's port are handshake fallbacks.
   * Subflows (ULP "mptcp", including MP_JOINs that arrive on the listener's port) are not.
   */
  addTcp(reply: Buffer): void {
    this.indexes();
    // The loop stays small and the work per socket is a method of its own: V8 then compiles that
    // method once, not once into the loop on stack and again for the next piece.
    const s = this.reader.start(reply, TCP_DUMP);
    while (s.next()) if (s.state !== TCP_LISTEN) this.tcpSocket(s);
  }

  private tcpSocket(s: DumpReader): void {
    const { names, subflow, subflows, row } = this;
    const state = s.state;
    if (s.isMptcpSubflow()) {
      if (!s.readSubflow(subflow)) return;
      const token = subflow.tokenLocal;
      // mptcp_info's token is 32 bits: a wider one (which no kernel sends) matches no connection.
      if (!token || token > 0xffffffff) return;
      const i = subflows.add(names.localIndex(s), s.localPort, names.remoteIndex(s), s.remotePort, state, subflow.idLocal, subflow.idRemote, subflow.flags);
      const last = this.lastSubflow.get(token);
      if (last < 0) this.firstSubflow.set(token, i);
      else subflows.next[last] = i;
      this.lastSubflow.set(token, i);
      return;
    }
    const family = s.family;
    const localName = names.localIndex(s);
    const localAddress = names.names[localName]!;
    const localPort = s.localPort;
    const listener = this.mptcpIndex!.find(localAddress, localPort, family);
    if (!listener) {
      const plain = this.tcpIndex!.find(localAddress, localPort, family);
      if (plain) {
        let entry = this.tcpAccepted.get(plain.id);
        if (!entry) {
          entry = { connections: 0, peers: new Set<string>() };
          this.tcpAccepted.set(plain.id, entry);
        }
        entry.connections += 1;
        entry.peers.add(names.remote(s));
      }
      return;
    }
    row.flags = Row.plainTcp | Row.fellBack | Row.accepted | (family === 6 ? Row.ipv6 : 0);
    row.tcpState = state;
    row.localName = localName;
    row.localPort = localPort;
    row.remoteName = names.remoteIndex(s);
    row.remotePort = s.remotePort;
    row.token = 0;
    row.subflowCount = 0;
    row.firstSubflow = -1;
    row.bytesSent = row.bytesReceived = row.bytesRetransmitted = row.retransmits = undefined;
    row.addAddrSignal = row.addAddrAccepted = 0;
    row.listener = this.listenerIndex(listener);
    row.inode = s.inode;
    row.owners = this.ownersOf(row.inode);
    row.uid = s.uid;
    this.plainConnections.add(row);
  }

  /** Phase 3: MPTCP connections, with the subflows phase 2 chained to their token. */
  addMptcp(reply: Buffer): void {
    // Nearly every connection has a subflow in the TCP dump: room for as many rows, made at once.
    this.connections.reserve(this.subflows.length);
    this.indexes();
    const s = this.reader.start(reply, MPTCP_DUMP);
    while (s.next()) if (s.state !== TCP_LISTEN) this.mptcpSocket(s);
  }

  private mptcpSocket(s: DumpReader): void {
    const { names, info, subflows, row } = this;
    const state = s.state;
    const hasInfo = s.readMptcpInfo(info);
    const fellBack = hasInfo && (info.flags & MPTCP_INFO_FLAG_FALLBACK) !== 0;
    const remoteKey = hasInfo && (info.flags & MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED) !== 0;
    const family = s.family;
    const localName = names.localIndex(s);
    const localPort = s.localPort;
    const listener = this.mptcpIndex!.find(names.names[localName]!, localPort, family);
    const token = hasInfo ? info.token : 0;
    const first = token !== 0 ? this.firstSubflow.get(token) : -1;
    let found = 0;
    for (let i = first; i >= 0; i = subflows.next[i]!) found += 1;
    row.flags = (fellBack ? Row.fellBack : 0) |
      // REMOTE_KEY_RECEIVED is set once the peer's key arrived (SYN-ACK, or third ACK on the server):
      // a fallback without it happened in the handshake.
      (fellBack && remoteKey ? Row.fellBackLater : 0) |
      (listener ? Row.accepted : 0) | (family === 6 ? Row.ipv6 : 0) | (hasInfo ? Row.info : 0) | (remoteKey ? Row.remoteKey : 0) |
      (hasInfo && info.csumEnabled === true ? Row.checksums : 0);
    row.tcpState = state;
    row.localName = localName;
    row.localPort = localPort;
    row.remoteName = names.remoteIndex(s);
    row.remotePort = s.remotePort;
    row.token = token;
    // totalSubflows (decode-mptcp-info.ts): subflows_total where the kernel has it (6.8+), else the
    // additional ones plus the first; never fewer than the TCP dump showed.
    row.subflowCount = hasInfo ? Math.max(info.subflowsTotal ?? info.subflows + 1, found) : found;
    row.firstSubflow = first;
    row.bytesSent = hasInfo ? info.bytesSent : undefined;
    row.bytesReceived = hasInfo ? info.bytesReceived : undefined;
    row.bytesRetransmitted = hasInfo ? info.bytesRetrans : undefined;
    row.retransmits = hasInfo ? info.retransmits : undefined;
    row.addAddrSignal = hasInfo ? info.addAddrSignal : 0;
    row.addAddrAccepted = hasInfo ? info.addAddrAccepted : 0;
    row.listener = listener ? this.listenerIndex(listener) : -1;
    row.inode = s.inode;
    row.owners = this.ownersOf(row.inode);
    row.uid = s.uid;
    this.connections.add(row);
  }

  /** The model: MPTCP connections, then plain TCP ones accepted on MPTCP listeners; the listeners. */
  finish(): ConnsModel {
    const table = this.connections;
    table.append(this.plainConnections);
    const owned = (inode: number): SocketOwner[] => [...(inode === 0 ? [] : this.owners.get(inode) ?? [])];
    // Listeners' process lists are copies: merging SO_REUSEPORT listeners adds to them.
    const listeners: ListenerView[] = [
      ...this.mptcpListeners.map((s) => emptyListener('mptcp', s, owned(s.inode))),
      ...this.tcpListeners.map((s) => {
        const view = emptyListener('tcp', s, owned(s.inode));
        const accepted = this.tcpAccepted.get(view.id);
        if (accepted) {
          view.connections = accepted.connections;
          view.peers = [...accepted.peers].sort();
        }
        return view;
      }),
    ];
    return { table, listeners: mergeSameEndpoint(listeners), interrupted: this.reader.interrupted };
  }
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
    id: socket.id,
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

/** The model of whole dump replies (every socket of each, listeners included). */
export function buildConns(input: ConnsInput): ConnsModel {
  const builder = new ConnsBuilder();
  builder.setOwners(input.owners);
  for (const reply of input.mptcp) builder.addListeners('mptcp', reply);
  for (const reply of input.tcp) builder.addListeners('tcp', reply);
  for (const reply of input.tcp) builder.addTcp(reply);
  for (const reply of input.mptcp) builder.addMptcp(reply);
  return builder.finish();
}

/** Every connection as a view, and the summary: for tests, `check`, and anything small. */
export function snapshotOf(model: ConnsModel, filter = {}): ConnsSnapshot {
  const selection = selectConnections(model, filter);
  return { connections: [...selection.connections()], listeners: selection.listeners, processes: selection.processes, totals: selection.totals };
}

export function buildConnsSnapshot(input: ConnsInput): ConnsSnapshot {
  return snapshotOf(buildConns(input));
}
