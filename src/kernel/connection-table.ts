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

function grown<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(column: T, length: number): T {
  const next = new (column.constructor as new (n: number) => T)(length);
  next.set(column);
  return next;
}

/** The subflows of the TCP dumps, each chained to the next one of the same connection (by token). */
export class SubflowTable {
  length = 0;
  localName = new Int32Array(64);
  remoteName = new Int32Array(64);
  localPort = new Int32Array(64);
  remotePort = new Int32Array(64);
  state = new Uint8Array(64);
  /** Address ids and flags from the ULP info; NaN where the kernel sent none. */
  localId = new Float64Array(64);
  remoteId = new Float64Array(64);
  flags = new Float64Array(64);
  /** The next subflow of the same connection, -1 after the last. */
  next = new Int32Array(64);

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
    const n = this.next.length * 2;
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
  flags = new Uint8Array(64);
  tcpState = new Uint8Array(64);
  localName = new Int32Array(64);
  remoteName = new Int32Array(64);
  localPort = new Int32Array(64);
  remotePort = new Int32Array(64);
  token = new Uint32Array(64);
  subflowCount = new Int32Array(64);
  firstSubflow = new Int32Array(64);
  /** Counters from mptcp_info; NaN where the kernel's struct is too short for them. */
  bytesSent = new Float64Array(64);
  bytesReceived = new Float64Array(64);
  bytesRetransmitted = new Float64Array(64);
  retransmits = new Float64Array(64);
  addAddrSignal = new Uint8Array(64);
  addAddrAccepted = new Uint8Array(64);
  listener = new Int32Array(64);
  owners = new Int32Array(64);
  inode = new Uint32Array(64);
  uid = new Uint32Array(64);

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
    while (this.flags.length < this.length + other.length) this.grow();
    const at = this.length;
    const n = other.length;
    for (const column of COLUMNS) (this[column] as Float64Array).set((other[column] as Float64Array).subarray(0, n), at);
    this.length += n;
  }

  private grow(): void {
    const n = this.flags.length * 2;
    for (const column of COLUMNS) (this as unknown as Record<string, Float64Array>)[column] = grown(this[column] as Float64Array, n);
  }

  processes(row: number): SocketOwner[] {
    const index = this.owners[row]!;
    return (index < 0 ? NO_OWNERS : this.ownerLists[index]!) as SocketOwner[];
  }

  remoteAddress(row: number): string {
    return this.names[this.remoteName[row]!]!;
  }

  /** The row as the JSON schema shows it: every key in the same order, undefined (left out by JSON) where there is no value. */
  view(row: number): ConnectionView {
    const flags = this.flags[row]!;
    const plain = (flags & Row.plainTcp) !== 0;
    const info = (flags & Row.info) !== 0;
    const fellBack = (flags & Row.fellBack) !== 0;
    const token = this.token[row]!;
    const listener = this.listener[row]!;
    return {
      socket: plain ? 'tcp' : 'mptcp',
      state: fellBack ? 'fallback' : 'mptcp',
      fallback: fellBack ? ((flags & Row.fellBackLater) !== 0 ? 'after-handshake' : 'handshake') : undefined,
      accepted: (flags & Row.accepted) !== 0,
      family: (flags & Row.ipv6) !== 0 ? 6 : 4,
      local: { address: this.names[this.localName[row]!]!, port: this.localPort[row]! },
      remote: { address: this.names[this.remoteName[row]!]!, port: this.remotePort[row]! },
      tcpState: tcpStateName(this.tcpState[row]!),
      token: token !== 0 ? formatToken(token) : undefined,
      subflowCount: this.subflowCount[row]!,
      subflows: this.subflowViews(this.firstSubflow[row]!),
      bytesSent: defined(this.bytesSent[row]!),
      bytesReceived: defined(this.bytesReceived[row]!),
      bytesRetransmitted: defined(this.bytesRetransmitted[row]!),
      retransmits: defined(this.retransmits[row]!),
      // mptcp_info's flags: a plain TCP row has none (its fallback is the socket itself).
      flags: connectionFlags(fellBack && !plain, (flags & Row.remoteKey) !== 0, (flags & Row.checksums) !== 0),
      addAddrSignal: info ? this.addAddrSignal[row] : undefined,
      addAddrAccepted: info ? this.addAddrAccepted[row] : undefined,
      listener: listener < 0 ? undefined : this.listenerIds[listener],
      processes: this.processes(row),
      inode: this.inode[row]!,
      uid: this.uid[row]!,
    };
  }

  private subflowViews(first: number): SubflowView[] {
    const views: SubflowView[] = [];
    const s = this.subflows;
    for (let i = first; i >= 0; i = s.next[i]!) {
      const flags = s.flags[i]!;
      views.push({
        local: { address: this.names[s.localName[i]!]!, port: s.localPort[i]! },
        remote: { address: this.names[s.remoteName[i]!]!, port: s.remotePort[i]! },
        state: tcpStateName(s.state[i]!),
        localId: defined(s.localId[i]!),
        remoteId: defined(s.remoteId[i]!),
        flags: subflowFlagLetters(flags),
        backup: (flags & SUBFLOW_FLAG_BACKUP) !== 0,
        join: (flags & SUBFLOW_FLAG_JOIN) !== 0,
      });
    }
    return views;
  }
}

const COLUMNS = [
  'flags', 'tcpState', 'localName', 'remoteName', 'localPort', 'remotePort', 'token', 'subflowCount', 'firstSubflow', 'bytesSent',
  'bytesReceived', 'bytesRetransmitted', 'retransmits', 'addAddrSignal', 'addAddrAccepted', 'listener', 'owners', 'inode', 'uid',
] as const;

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
