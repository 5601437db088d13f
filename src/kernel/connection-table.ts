// The connections and subflows of the host-wide model, kept as columns of numbers (typed arrays)
// until they are shown: a busy host has tens of thousands, and as objects (a view, its endpoints,
// subflows, strings) they cost the garbage collector more than reading them from the kernel did.
// A view (the JSON schema's shape) is made from a row when it is shown, and dropped after.
import type { SocketOwner } from '../sys/socket-owners.js';
import type { ConnectionView, SubflowView } from './host-connections.js';
import { TCP_STATES, type TcpStateName } from './inet-diag.js';
import { formatToken } from './socket-token.js';
import { decodeSubflowFlags } from './ulp-info.js';

/** Row flags. */
export const Row = {
  /** A plain TCP socket accepted on an MPTCP listener (a fallback at the handshake); else an MPTCP socket. */
  plainTcp: 1 << 0,
  ipv6: 1 << 1,
  fellBack: 1 << 2,
  /** The fallback came after the handshake (the peer's key had arrived). */
  fellBackLater: 1 << 3,
  accepted: 1 << 4,
  /** mptcp_info was there (5.9 struct or longer). */
  info: 1 << 5,
  remoteKey: 1 << 6,
  checksums: 1 << 7,
} as const;

const NO_OWNERS: readonly SocketOwner[] = Object.freeze([]);
const SUBFLOW_FLAG_JOIN = (1 << 2) | (1 << 3);
const SUBFLOW_FLAG_BACKUP = (1 << 4) | (1 << 5);

/** Rows a table starts with; it grows four times over when full (few copies: the pages a large array does not use yet cost nothing). */
const INITIAL_ROWS = 1024;
const GROWTH = 4;

function grown<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(column: T, length: number): T {
  const next = new (column.constructor as new (n: number) => T)(length);
  next.set(column);
  return next;
}

/** The subflows of the TCP dumps, each chained to the next one of the same connection (by token). */
export class SubflowTable {
  length = 0;
  localName = new Int32Array(INITIAL_ROWS);
  remoteName = new Int32Array(INITIAL_ROWS);
  localPort = new Int32Array(INITIAL_ROWS);
  remotePort = new Int32Array(INITIAL_ROWS);
  state = new Uint8Array(INITIAL_ROWS);
  /** Address ids and flags from the ULP info; NaN where the kernel sent none. */
  localId = new Float64Array(INITIAL_ROWS);
  remoteId = new Float64Array(INITIAL_ROWS);
  flags = new Float64Array(INITIAL_ROWS);
  /** The next subflow of the same connection, -1 after the last. */
  next = new Int32Array(INITIAL_ROWS);

  add(localName: number, localPort: number, remoteName: number, remotePort: number, state: number, localId: number | undefined, remoteId: number | undefined, flags: number): number {
    if (this.length === this.next.length) this.grow();
    const i = this.length++;
    this.localName[i] = localName;
    this.localPort[i] = localPort;
    this.remoteName[i] = remoteName;
    this.remotePort[i] = remotePort;
    this.state[i] = state;
    this.localId[i] = localId ?? Number.NaN;
    this.remoteId[i] = remoteId ?? Number.NaN;
    this.flags[i] = flags;
    this.next[i] = -1;
    return i;
  }

  private grow(): void {
    const n = this.next.length * GROWTH;
    this.localName = grown(this.localName, n);
    this.remoteName = grown(this.remoteName, n);
    this.localPort = grown(this.localPort, n);
    this.remotePort = grown(this.remotePort, n);
    this.state = grown(this.state, n);
    this.localId = grown(this.localId, n);
    this.remoteId = grown(this.remoteId, n);
    this.flags = grown(this.flags, n);
    this.next = grown(this.next, n);
  }
}

/** What a row holds besides its flags, for ConnectionTable.add. */
export interface ConnectionRow {
  flags: number;
  tcpState: number;
  localName: number;
  localPort: number;
  remoteName: number;
  remotePort: number;
  token: number;
  subflowCount: number;
  /** The first of its subflows in the SubflowTable, -1 when none. */
  firstSubflow: number;
  bytesSent: number | undefined;
  bytesReceived: number | undefined;
  bytesRetransmitted: number | undefined;
  retransmits: number | undefined;
  addAddrSignal: number;
  addAddrAccepted: number;
  /** Index into the table's listener ids, -1 when not accepted on a listener. */
  listener: number;
  /** Index into the table's owner lists, -1 when no process is known. */
  owners: number;
  inode: number;
  uid: number;
}

export class ConnectionTable {
  length = 0;
  flags = new Uint8Array(INITIAL_ROWS);
  tcpState = new Uint8Array(INITIAL_ROWS);
  localName = new Int32Array(INITIAL_ROWS);
  remoteName = new Int32Array(INITIAL_ROWS);
  localPort = new Int32Array(INITIAL_ROWS);
  remotePort = new Int32Array(INITIAL_ROWS);
  token = new Uint32Array(INITIAL_ROWS);
  subflowCount = new Int32Array(INITIAL_ROWS);
  firstSubflow = new Int32Array(INITIAL_ROWS);
  /** Counters from mptcp_info; NaN where the kernel's struct is too short for them. */
  bytesSent = new Float64Array(INITIAL_ROWS);
  bytesReceived = new Float64Array(INITIAL_ROWS);
  bytesRetransmitted = new Float64Array(INITIAL_ROWS);
  retransmits = new Float64Array(INITIAL_ROWS);
  addAddrSignal = new Uint8Array(INITIAL_ROWS);
  addAddrAccepted = new Uint8Array(INITIAL_ROWS);
  listener = new Int32Array(INITIAL_ROWS);
  owners = new Int32Array(INITIAL_ROWS);
  inode = new Uint32Array(INITIAL_ROWS);
  uid = new Uint32Array(INITIAL_ROWS);

  constructor(
    /** Address texts by number (AddressNames.names). */
    readonly names: readonly string[],
    /** Listener ids ("mptcp 127.0.0.1:7000") by number. */
    readonly listenerIds: readonly string[],
    /** Owner lists by number: one per process, shared by all its sockets. */
    readonly ownerLists: readonly (readonly SocketOwner[])[],
    readonly subflows: SubflowTable,
  ) {}

  add(row: ConnectionRow): void {
    if (this.length === this.flags.length) this.grow();
    const i = this.length++;
    this.flags[i] = row.flags;
    this.tcpState[i] = row.tcpState;
    this.localName[i] = row.localName;
    this.localPort[i] = row.localPort;
    this.remoteName[i] = row.remoteName;
    this.remotePort[i] = row.remotePort;
    this.token[i] = row.token;
    this.subflowCount[i] = row.subflowCount;
    this.firstSubflow[i] = row.firstSubflow;
    this.bytesSent[i] = row.bytesSent ?? Number.NaN;
    this.bytesReceived[i] = row.bytesReceived ?? Number.NaN;
    this.bytesRetransmitted[i] = row.bytesRetransmitted ?? Number.NaN;
    this.retransmits[i] = row.retransmits ?? Number.NaN;
    this.addAddrSignal[i] = row.addAddrSignal;
    this.addAddrAccepted[i] = row.addAddrAccepted;
    this.listener[i] = row.listener;
    this.owners[i] = row.owners;
    this.inode[i] = row.inode;
    this.uid[i] = row.uid;
  }

  /** Appends every row of `other` (same names, listeners, owners and subflows). */
  append(other: ConnectionTable): void {
    for (let i = 0; i < other.length; i++) this.addRow(other, i);
  }

  private addRow(from: ConnectionTable, row: number): void {
    if (this.length === this.flags.length) this.grow();
    const i = this.length++;
    this.flags[i] = from.flags[row]!;
    this.tcpState[i] = from.tcpState[row]!;
    this.localName[i] = from.localName[row]!;
    this.localPort[i] = from.localPort[row]!;
    this.remoteName[i] = from.remoteName[row]!;
    this.remotePort[i] = from.remotePort[row]!;
    this.token[i] = from.token[row]!;
    this.subflowCount[i] = from.subflowCount[row]!;
    this.firstSubflow[i] = from.firstSubflow[row]!;
    this.bytesSent[i] = from.bytesSent[row]!;
    this.bytesReceived[i] = from.bytesReceived[row]!;
    this.bytesRetransmitted[i] = from.bytesRetransmitted[row]!;
    this.retransmits[i] = from.retransmits[row]!;
    this.addAddrSignal[i] = from.addAddrSignal[row]!;
    this.addAddrAccepted[i] = from.addAddrAccepted[row]!;
    this.listener[i] = from.listener[row]!;
    this.owners[i] = from.owners[row]!;
    this.inode[i] = from.inode[row]!;
    this.uid[i] = from.uid[row]!;
  }

  /** Room for `rows` rows in all, in one step (growing row by row copies each column several times). */
  reserve(rows: number): void {
    if (rows > this.flags.length) this.grow(rows);
  }

  private grow(rows = this.flags.length * GROWTH): void {
    const n = rows;
    this.flags = grown(this.flags, n);
    this.tcpState = grown(this.tcpState, n);
    this.localName = grown(this.localName, n);
    this.remoteName = grown(this.remoteName, n);
    this.localPort = grown(this.localPort, n);
    this.remotePort = grown(this.remotePort, n);
    this.token = grown(this.token, n);
    this.subflowCount = grown(this.subflowCount, n);
    this.firstSubflow = grown(this.firstSubflow, n);
    this.bytesSent = grown(this.bytesSent, n);
    this.bytesReceived = grown(this.bytesReceived, n);
    this.bytesRetransmitted = grown(this.bytesRetransmitted, n);
    this.retransmits = grown(this.retransmits, n);
    this.addAddrSignal = grown(this.addAddrSignal, n);
    this.addAddrAccepted = grown(this.addAddrAccepted, n);
    this.listener = grown(this.listener, n);
    this.owners = grown(this.owners, n);
    this.inode = grown(this.inode, n);
    this.uid = grown(this.uid, n);
  }

  processes(row: number): SocketOwner[] {
    const index = this.owners[row]!;
    return (index < 0 ? NO_OWNERS : this.ownerLists[index]!) as SocketOwner[];
  }

  /**
   * The row as the JSON schema shows it: every key in the same order, undefined (left out by JSON)
   * where there is no value. With `into` (a view made by this method before), that view and its
   * endpoints and subflows are overwritten instead of made anew: for a writer that is done with each
   * view before it asks for the next (text, JSON), tens of thousands of rows then make a handful of
   * objects, not hundreds of thousands for the garbage collector.
   */
  view(row: number, into?: ReusedView): ConnectionView {
    const target = into ?? new ReusedView();
    this.fill(row, target);
    return target.view;
  }

  private fill(row: number, reused: ReusedView): void {
    const v = reused.view;
    const flags = this.flags[row]!;
    const plain = (flags & Row.plainTcp) !== 0;
    const info = (flags & Row.info) !== 0;
    const fellBack = (flags & Row.fellBack) !== 0;
    const token = this.token[row]!;
    const listener = this.listener[row]!;
    v.socket = plain ? 'tcp' : 'mptcp';
    v.state = fellBack ? 'fallback' : 'mptcp';
    v.fallback = fellBack ? ((flags & Row.fellBackLater) !== 0 ? 'after-handshake' : 'handshake') : undefined;
    v.accepted = (flags & Row.accepted) !== 0;
    v.family = (flags & Row.ipv6) !== 0 ? 6 : 4;
    v.local.address = this.names[this.localName[row]!]!;
    v.local.port = this.localPort[row]!;
    v.remote.address = this.names[this.remoteName[row]!]!;
    v.remote.port = this.remotePort[row]!;
    v.tcpState = tcpStateName(this.tcpState[row]!);
    v.token = token !== 0 ? formatToken(token) : undefined;
    v.subflowCount = this.subflowCount[row]!;
    const s = this.subflows;
    v.subflows.length = 0;
    for (let i = this.firstSubflow[row]!; i >= 0; i = s.next[i]!) {
      const view = reused.subflows[v.subflows.length] ?? emptySubflow();
      reused.subflows[v.subflows.length] = view;
      this.fillSubflow(i, view);
      v.subflows.push(view);
    }
    v.bytesSent = defined(this.bytesSent[row]!);
    v.bytesReceived = defined(this.bytesReceived[row]!);
    v.bytesRetransmitted = defined(this.bytesRetransmitted[row]!);
    v.retransmits = defined(this.retransmits[row]!);
    v.flags = connectionFlags(fellBack && !plain, (flags & Row.remoteKey) !== 0, (flags & Row.checksums) !== 0);
    v.addAddrSignal = info ? this.addAddrSignal[row] : undefined;
    v.addAddrAccepted = info ? this.addAddrAccepted[row] : undefined;
    v.listener = listener < 0 ? undefined : this.listenerIds[listener];
    v.processes = this.processes(row);
    v.inode = this.inode[row]!;
    v.uid = this.uid[row]!;
  }

  private fillSubflow(i: number, view: SubflowView): void {
    const s = this.subflows;
    const flags = s.flags[i]!;
    view.local.address = this.names[s.localName[i]!]!;
    view.local.port = s.localPort[i]!;
    view.remote.address = this.names[s.remoteName[i]!]!;
    view.remote.port = s.remotePort[i]!;
    view.state = tcpStateName(s.state[i]!);
    view.localId = defined(s.localId[i]!);
    view.remoteId = defined(s.remoteId[i]!);
    view.flags = subflowFlagLetters(flags);
    view.backup = (flags & SUBFLOW_FLAG_BACKUP) !== 0;
    view.join = (flags & SUBFLOW_FLAG_JOIN) !== 0;
  }
}

/** A view that ConnectionTable.view overwrites row after row, and the subflow views it reuses. */
export class ReusedView {
  readonly view = emptyConnectionView();
  readonly subflows: SubflowView[] = [];
}

/** A view to fill: every key, in the order of the JSON schema. */
function emptyConnectionView(): ConnectionView {
  return {
    socket: 'mptcp', state: 'mptcp', fallback: undefined, accepted: false, family: 4, local: { address: '', port: 0 }, remote: { address: '', port: 0 },
    tcpState: 'unknown', token: undefined, subflowCount: 0, subflows: [], bytesSent: undefined, bytesReceived: undefined, bytesRetransmitted: undefined,
    retransmits: undefined, flags: [], addAddrSignal: undefined, addAddrAccepted: undefined, listener: undefined, processes: [], inode: 0, uid: 0,
  };
}

function emptySubflow(): SubflowView {
  return { local: { address: '', port: 0 }, remote: { address: '', port: 0 }, state: 'unknown', localId: undefined, remoteId: undefined, flags: '', backup: false, join: false };
}

function defined(value: number): number | undefined {
  return Number.isNaN(value) ? undefined : value;
}

export function tcpStateName(code: number): TcpStateName {
  return TCP_STATES[code] ?? 'unknown';
}

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
