// Reads the sockets of a sock_diag dump reply where they lie in the bytes: one pass, no object per
// message or attribute, and only the fields the reader asks for. `conns` reads a dozen fields of each
// of tens of thousands of sockets; decoding every field of every socket into objects first
// (decodeDiagMessage, inet-diag.ts) cost it more than everything else together, most of it in the
// garbage collector. The layouts are those of inet-diag.ts and ulp-info.ts, read by length the same way.
import { formatIpv6 } from '../native/decode-sockaddr.js';
import { align4, NetlinkFrameError, NetlinkRequestError, errnoName, NLA_HDRLEN, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_DUMP_INTR } from './netlink-frame.js';

const SOCK_DIAG_BY_FAMILY = 20;
const AF_INET = 2;
const AF_INET6 = 10;
const INET_DIAG_MSG_LENGTH = 72;
const INET_DIAG_INFO = 2;
const INET_DIAG_ULP_INFO = 19;
const INET_ULP_INFO_NAME = 1;
const INET_ULP_INFO_MPTCP = 3;
const NLA_TYPE_MASK = 0x3fff;

/** One socket of a dump: offsets into the reply, valid only while the visitor runs. */
export class DiagCursor {
  bytes: Buffer = Buffer.alloc(0);
  /** Offset of struct inet_diag_msg. */
  at = 0;
  /** End of the message (its attributes end there). */
  end = 0;
  /** INET_DIAG_INFO's value (mptcp_info for MPTCP sockets), -1 when absent. */
  info = -1;
  infoLength = 0;
  /** INET_DIAG_ULP_INFO's value, -1 when absent. */
  ulp = -1;
  ulpLength = 0;
  private attributesRead = false;

  /** @internal Points the cursor at the next message. */
  reset(bytes: Buffer, at: number, end: number): void {
    this.bytes = bytes;
    this.at = at;
    this.end = end;
    this.attributesRead = false;
  }

  get familyCode(): number {
    return this.bytes[this.at]!;
  }

  get family(): 4 | 6 {
    return this.bytes[this.at] === AF_INET6 ? 6 : 4;
  }

  /** The TCP state number (TCP_STATES in inet-diag.ts names it). */
  get state(): number {
    return this.bytes[this.at + 1]!;
  }

  get localPort(): number {
    return u16be(this.bytes, this.at + 4);
  }

  get remotePort(): number {
    return u16be(this.bytes, this.at + 6);
  }

  get uid(): number {
    return u32le(this.bytes, this.at + 64);
  }

  get inode(): number {
    return u32le(this.bytes, this.at + 68);
  }

  /** Finds INET_DIAG_INFO and INET_DIAG_ULP_INFO (the last of each wins, as in parseAttributes). */
  readAttributes(): this {
    if (this.attributesRead) return this;
    this.attributesRead = true;
    this.info = -1;
    this.ulp = -1;
    const b = this.bytes;
    let offset = this.at + INET_DIAG_MSG_LENGTH;
    while (offset + NLA_HDRLEN <= this.end) {
      const length = b[offset]! | (b[offset + 1]! << 8);
      if (length < NLA_HDRLEN || offset + length > this.end) break;
      const type = (b[offset + 2]! | (b[offset + 3]! << 8)) & NLA_TYPE_MASK;
      if (type === INET_DIAG_INFO) {
        this.info = offset + NLA_HDRLEN;
        this.infoLength = length - NLA_HDRLEN;
      } else if (type === INET_DIAG_ULP_INFO) {
        this.ulp = offset + NLA_HDRLEN;
        this.ulpLength = length - NLA_HDRLEN;
      }
      offset += align4(length);
    }
    return this;
  }

  /** The ULP info names "mptcp": an MPTCP subflow, or the TCP mirror of an MPTCP listener. */
  isMptcpSubflow(): boolean {
    this.readAttributes();
    if (this.ulp < 0) return false;
    const name = findAttribute(this.bytes, this.ulp, this.ulp + this.ulpLength, INET_ULP_INFO_NAME);
    if (name < 0) return false;
    const b = this.bytes;
    const length = attributeLength(b, name);
    // As attributeString reads it: the bytes up to the first NUL are exactly "mptcp".
    return length >= 5 && b[name] === 0x6d && b[name + 1] === 0x70 && b[name + 2] === 0x74 && b[name + 3] === 0x63 && b[name + 4] === 0x70 &&
      (length === 5 || b[name + 5] === 0);
  }

  /**
   * The subflow's token, address ids and flags from the ULP info's nested MPTCP attribute, as
   * decodeUlpInfo reads them (any width the kernel sent, the last of each type wins); false when the
   * ULP info has no such attribute.
   */
  readSubflow(into: SubflowFields): boolean {
    this.readAttributes();
    if (this.ulp < 0) return false;
    const b = this.bytes;
    const nested = findAttribute(b, this.ulp, this.ulp + this.ulpLength, INET_ULP_INFO_MPTCP);
    if (nested < 0) return false;
    into.tokenLocal = undefined;
    into.idLocal = undefined;
    into.idRemote = undefined;
    let flags: number | undefined;
    const end = nested + attributeLength(b, nested);
    let offset = nested;
    while (offset + NLA_HDRLEN <= end) {
      const length = b[offset]! | (b[offset + 1]! << 8);
      if (length < NLA_HDRLEN || offset + length > end) break;
      const type = (b[offset + 2]! | (b[offset + 3]! << 8)) & NLA_TYPE_MASK;
      const value = readUint(b, offset + NLA_HDRLEN, length - NLA_HDRLEN);
      if (type === MPTCP_SUBFLOW_ATTR_TOKEN_LOC) into.tokenLocal = value;
      else if (type === MPTCP_SUBFLOW_ATTR_ID_LOC) into.idLocal = value;
      else if (type === MPTCP_SUBFLOW_ATTR_ID_REM) into.idRemote = value;
      else if (type === MPTCP_SUBFLOW_ATTR_FLAGS) flags = value;
      offset += align4(length);
    }
    into.flags = flags ?? 0;
    return true;
  }

  /**
   * The fields of struct mptcp_info (INET_DIAG_INFO of an MPTCP socket) that the model shows, by the
   * length the kernel sent, in whole groups as decodeMptcpInfo (src/native/decode-mptcp-info.ts)
   * reads them; false when there is none or it is shorter than the 5.9 struct.
   */
  readMptcpInfo(into: MptcpInfoFields): boolean {
    this.readAttributes();
    if (this.info < 0 || this.infoLength < MPTCP_INFO_MIN_LENGTH) return false;
    const b = this.bytes;
    const i = this.info;
    const n = this.infoLength;
    into.subflows = b[i]!;
    into.addAddrSignal = b[i + 1]!;
    into.addAddrAccepted = b[i + 2]!;
    into.flags = u32le(b, i + 8);
    into.token = u32le(b, i + 12);
    into.csumEnabled = n >= 48 ? b[i + 42] !== 0 : undefined;
    const v6_5 = n >= 80;
    into.retransmits = v6_5 ? u32le(b, i + 44) : undefined;
    into.bytesRetrans = v6_5 ? u64le(b, i + 48) : undefined;
    into.bytesSent = v6_5 ? u64le(b, i + 56) : undefined;
    into.bytesReceived = v6_5 ? u64le(b, i + 64) : undefined;
    into.subflowsTotal = n >= 88 ? b[i + 80] : undefined;
    return true;
  }
}

const MPTCP_SUBFLOW_ATTR_TOKEN_LOC = 2;
const MPTCP_SUBFLOW_ATTR_FLAGS = 8;
const MPTCP_SUBFLOW_ATTR_ID_REM = 9;
const MPTCP_SUBFLOW_ATTR_ID_LOC = 10;
/** The 5.9 struct mptcp_info, the shortest decodeMptcpInfo accepts. */
const MPTCP_INFO_MIN_LENGTH = 40;

/** What readSubflow fills (one object, reused for every socket). */
export class SubflowFields {
  tokenLocal: number | undefined = undefined;
  idLocal: number | undefined = undefined;
  idRemote: number | undefined = undefined;
  flags = 0;
}

/** What readMptcpInfo fills (one object, reused for every socket); see MptcpInfo for each field. */
export class MptcpInfoFields {
  subflows = 0;
  addAddrSignal = 0;
  addAddrAccepted = 0;
  flags = 0;
  token = 0;
  csumEnabled: boolean | undefined = undefined;
  retransmits: number | undefined = undefined;
  bytesRetrans: number | undefined = undefined;
  bytesSent: number | undefined = undefined;
  bytesReceived: number | undefined = undefined;
  subflowsTotal: number | undefined = undefined;
}

/** Offset of the value of the last attribute of `type` in [start, end), -1 when none. */
function findAttribute(b: Buffer, start: number, end: number, type: number): number {
  let found = -1;
  let offset = start;
  while (offset + NLA_HDRLEN <= end) {
    const length = b[offset]! | (b[offset + 1]! << 8);
    if (length < NLA_HDRLEN || offset + length > end) break;
    if (((b[offset + 2]! | (b[offset + 3]! << 8)) & NLA_TYPE_MASK) === type) found = offset + NLA_HDRLEN;
    offset += align4(length);
  }
  return found;
}

/** The length of the value at `value` (from the attribute header just before it). */
function attributeLength(b: Buffer, value: number): number {
  return (b[value - 4]! | (b[value - 3]! << 8)) - NLA_HDRLEN;
}

function readUint(b: Buffer, at: number, length: number): number | undefined {
  switch (length) {
    case 1: return b[at]!;
    case 2: return b[at]! | (b[at + 1]! << 8);
    case 4: return u32le(b, at);
    case 8: return u64le(b, at);
    default: return undefined;
  }
}

export function u16be(b: Buffer, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

export function u32le(b: Buffer, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

/**
 * A 64-bit counter as a number, rounded exactly as Number(readBigUInt64LE) rounds: both halves are
 * exact doubles and one addition rounds their exact sum to the nearest double.
 */
export function u64le(b: Buffer, at: number): number {
  return u32le(b, at + 4) * 0x100000000 + u32le(b, at);
}

/** How errors name a dump: "sock_diag dump of MPTCP sockets". */
export function dumpDescription(protocol: 'tcp' | 'mptcp'): string {
  return `sock_diag dump of ${protocol === 'mptcp' ? 'MPTCP' : 'TCP'} sockets`;
}

export interface DumpWalk {
  /** The kernel flagged the dump inconsistent (NLM_F_DUMP_INTR): sockets came or went meanwhile. */
  interrupted: boolean;
}

/**
 * Visits every inet socket of a dump reply (one or more datagrams back to back), in order, with one
 * reused cursor; the same errors as replyMessages (inet-diag.ts's path): a malformed message throws
 * NetlinkFrameError, a negative NLMSG_DONE or NLMSG_ERROR a NetlinkRequestError naming `what`.
 * Messages that are no inet socket (too short, another family) are skipped, as decodeDiagMessage does.
 */
export function walkDump(bytes: Buffer, what: string, visit: (socket: DiagCursor) => void, cursor = new DiagCursor()): DumpWalk {
  const walk: DumpWalk = { interrupted: false };
  let offset = 0;
  while (offset + NLMSG_HDRLEN <= bytes.length) {
    const length = u32le(bytes, offset);
    if (length < NLMSG_HDRLEN || offset + length > bytes.length) {
      throw new NetlinkFrameError(`message at byte ${offset} claims ${length} bytes, ${bytes.length - offset} left`);
    }
    const type = bytes[offset + 4]! | (bytes[offset + 5]! << 8);
    const flags = bytes[offset + 6]! | (bytes[offset + 7]! << 8);
    const payload = offset + NLMSG_HDRLEN;
    const end = offset + length;
    if ((flags & NLM_F_DUMP_INTR) !== 0) walk.interrupted = true;
    if (type === NLMSG_DONE) {
      // A dump that failed part way ends with NLMSG_DONE carrying the negative errno.
      const error = length - NLMSG_HDRLEN >= 4 ? bytes.readInt32LE(payload) : 0;
      if (error < 0) throw new NetlinkRequestError(error, errnoName(-error), what);
      break;
    }
    if (type === NLMSG_ERROR) {
      const error = length - NLMSG_HDRLEN >= 4 ? bytes.readInt32LE(payload) : -22;
      if (error === 0) break;
      const errno = -Math.abs(error);
      throw new NetlinkRequestError(errno, errnoName(-errno), what);
    }
    if (type === SOCK_DIAG_BY_FAMILY && length - NLMSG_HDRLEN >= INET_DIAG_MSG_LENGTH) {
      const family = bytes[payload];
      if (family === AF_INET || family === AF_INET6) {
        cursor.reset(bytes, payload, end);
        visit(cursor);
      }
    }
    offset += align4(length);
  }
  return walk;
}

/**
 * Address text by its bytes, made once per distinct address: a host's tens of thousands of sockets
 * share a handful of local addresses, and every string made is one more for the garbage collector.
 */
export class AddressNames {
  private readonly v4 = new Map<number, string>();
  private readonly v6 = new Map<string, string>();

  /** The address at `at` (4 bytes for IPv4, 16 for IPv6), as inet-diag.ts's `address` writes it. */
  name(b: Buffer, at: number, family: 4 | 6): string {
    if (family === 4) {
      const key = u32le(b, at);
      let name = this.v4.get(key);
      if (name === undefined) {
        name = `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
        this.v4.set(key, name);
      }
      return name;
    }
    const key = b.toString('latin1', at, at + 16);
    let name = this.v6.get(key);
    if (name === undefined) {
      name = formatIpv6(b.subarray(at, at + 16));
      this.v6.set(key, name);
    }
    return name;
  }

  local(socket: DiagCursor): string {
    return this.name(socket.bytes, socket.at + 8, socket.family);
  }

  remote(socket: DiagCursor): string {
    return this.name(socket.bytes, socket.at + 24, socket.family);
  }
}
