// Reads the sockets of a sock_diag dump reply where they lie in the bytes: one pass, no object per
// message or attribute, and only the fields the reader asks for. `conns` reads a dozen fields of each
// of tens of thousands of sockets; decoding every field of every socket into objects first
// (decodeDiagMessage, inet-diag.ts) cost it more than everything else together, most of it in the
// garbage collector. The layouts are those of inet-diag.ts and ulp-info.ts, read by length the same way.
import { formatIpv6 } from '../native/decode-sockaddr.js';
import { U32Map } from './u32-map.js';
import { NetlinkFrameError, NetlinkRequestError, errnoName, NLA_HDRLEN, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_DUMP_INTR } from './netlink-frame.js';

const SOCK_DIAG_BY_FAMILY = 20;
const AF_INET = 2;
const AF_INET6 = 10;
const INET_DIAG_MSG_LENGTH = 72;
const INET_DIAG_INFO = 2;
const INET_DIAG_ULP_INFO = 19;
const INET_ULP_INFO_NAME = 1;
const INET_ULP_INFO_MPTCP = 3;
const NLA_TYPE_MASK = 0x3fff;
/** struct tcp_info up to bytes_received (Linux 4.1). */
const TCP_INFO_BYTES_END = 136;

/** Netlink is in host byte order: read through typed arrays, it needs no swapping at all. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Reads the inet sockets of a dump reply (one or more datagrams back to back) one after another:
 * `start(bytes)`, then `next()` until false, reading the current socket's fields in between.
 * The same errors as replyMessages (the decodeDiagMessage path): a malformed message throws
 * NetlinkFrameError, a negative NLMSG_DONE or NLMSG_ERROR a NetlinkRequestError naming `what`.
 * Messages that are no inet socket (too short, another family) are skipped, as decodeDiagMessage
 * skips them. One reader serves any number of replies: no object is made per socket.
 *
 * Netlink messages and attributes start on 4-byte boundaries, so every 16- and 32-bit field the
 * model reads is aligned: they are read through 16- and 32-bit views of the same bytes, one array
 * access each (this code runs tens of thousands of times before the JIT has compiled it).
 */
export class DumpReader {
  bytes: Buffer = Buffer.alloc(0);
  /** The same bytes as 16- and 32-bit words (host order). */
  u16: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  u32: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  /** The kernel flagged a reply inconsistent (NLM_F_DUMP_INTR): sockets came or went meanwhile. */
  interrupted = false;
  /** Offset of the current socket's struct inet_diag_msg. */
  at = 0;
  /** End of the current message (its attributes end there). */
  end = 0;
  /** INET_DIAG_INFO's value (mptcp_info for MPTCP sockets), -1 when absent. */
  info = -1;
  infoLength = 0;
  /** INET_DIAG_ULP_INFO's value, -1 when absent. */
  ulp = -1;
  ulpLength = 0;
  private attributesRead = false;
  private offset = 0;
  private what = '';
  private ended = false;

  constructor(readonly description = '') {
    this.what = description;
  }

  /** Starts on a reply (or a piece of one: whole datagrams); `what` names it in errors. */
  start(bytes: Buffer, what = this.description): this {
    // The words must be aligned in memory too: a reply from the kernel always is; a copy otherwise.
    const aligned = bytes.byteOffset % 4 === 0 ? bytes : Buffer.from(bytes);
    this.bytes = aligned;
    this.u16 = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length >>> 1);
    this.u32 = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.length >>> 2);
    this.what = what;
    this.offset = 0;
    this.ended = false;
    return this;
  }

  /** Moves to the next inet socket; false once the reply (or this piece of it) has none left. */
  next(): boolean {
    const { bytes, u16, u32 } = this;
    const size = bytes.length;
    while (!this.ended && this.offset + NLMSG_HDRLEN <= size) {
      const offset = this.offset;
      const length = u32[offset >>> 2]!;
      if (length < NLMSG_HDRLEN || offset + length > size) {
        throw new NetlinkFrameError(`message at byte ${offset} claims ${length} bytes, ${size - offset} left`);
      }
      this.offset = offset + ((length + 3) & ~3);
      const type = u16[(offset + 4) >>> 1]!;
      const payload = offset + NLMSG_HDRLEN;
      if ((u16[(offset + 6) >>> 1]! & NLM_F_DUMP_INTR) !== 0) this.interrupted = true;
      if (type === SOCK_DIAG_BY_FAMILY) {
        if (length - NLMSG_HDRLEN < INET_DIAG_MSG_LENGTH) continue;
        const family = bytes[payload];
        if (family !== AF_INET && family !== AF_INET6) continue;
        this.at = payload;
        this.end = offset + length;
        this.attributesRead = false;
        return true;
      }
      if (type === NLMSG_DONE) {
        // A dump that failed part way ends with NLMSG_DONE carrying the negative errno.
        const error = length - NLMSG_HDRLEN >= 4 ? u32[payload >>> 2]! | 0 : 0;
        if (error < 0) throw new NetlinkRequestError(error, errnoName(-error), this.what);
        this.ended = true;
      } else if (type === NLMSG_ERROR) {
        const error = length - NLMSG_HDRLEN >= 4 ? u32[payload >>> 2]! | 0 : -22;
        if (error !== 0) {
          const errno = -Math.abs(error);
          throw new NetlinkRequestError(errno, errnoName(-errno), this.what);
        }
        // An error of 0 is the ACK: the reply is complete.
        this.ended = true;
      }
    }
    return false;
  }

  get family(): 4 | 6 {
    return this.bytes[this.at] === AF_INET6 ? 6 : 4;
  }

  /** The TCP state number (TCP_STATES in inet-diag.ts names it). */
  get state(): number {
    return this.bytes[this.at + 1]!;
  }

  /** Ports are in network byte order. */
  get localPort(): number {
    return (this.bytes[this.at + 4]! << 8) | this.bytes[this.at + 5]!;
  }

  get remotePort(): number {
    return (this.bytes[this.at + 6]! << 8) | this.bytes[this.at + 7]!;
  }

  get uid(): number {
    return this.u32[(this.at + 64) >>> 2]!;
  }

  get inode(): number {
    return this.u32[(this.at + 68) >>> 2]!;
  }

  /** Finds INET_DIAG_INFO and INET_DIAG_ULP_INFO (the last of each wins, as in parseAttributes). */
  readAttributes(): void {
    if (this.attributesRead) return;
    this.attributesRead = true;
    this.info = -1;
    this.ulp = -1;
    const u16 = this.u16;
    const end = this.end;
    let offset = this.at + INET_DIAG_MSG_LENGTH;
    while (offset + NLA_HDRLEN <= end) {
      const length = u16[offset >>> 1]!;
      if (length < NLA_HDRLEN || offset + length > end) break;
      const type = u16[(offset + 2) >>> 1]! & NLA_TYPE_MASK;
      if (type === INET_DIAG_INFO) {
        this.info = offset + NLA_HDRLEN;
        this.infoLength = length - NLA_HDRLEN;
      } else if (type === INET_DIAG_ULP_INFO) {
        this.ulp = offset + NLA_HDRLEN;
        this.ulpLength = length - NLA_HDRLEN;
      }
      offset += (length + 3) & ~3;
    }
  }

  /** The ULP info names "mptcp": an MPTCP subflow, or the TCP mirror of an MPTCP listener. */
  isMptcpSubflow(): boolean {
    this.readAttributes();
    if (this.ulp < 0) return false;
    const name = this.findAttribute(this.ulp, this.ulp + this.ulpLength, INET_ULP_INFO_NAME);
    if (name < 0) return false;
    const b = this.bytes;
    const length = this.u16[(name - NLA_HDRLEN) >>> 1]! - NLA_HDRLEN;
    // As attributeString reads it: the bytes up to the first NUL are exactly "mptcp".
    return length >= 5 && b[name] === 0x6d && b[name + 1] === 0x70 && b[name + 2] === 0x74 && b[name + 3] === 0x63 && b[name + 4] === 0x70 &&
      (length === 5 || b[name + 5] === 0);
  }

  /** Offset of the value of the last attribute of `type` in [start, end), -1 when none. */
  private findAttribute(start: number, end: number, type: number): number {
    const u16 = this.u16;
    let found = -1;
    let offset = start;
    while (offset + NLA_HDRLEN <= end) {
      const length = u16[offset >>> 1]!;
      if (length < NLA_HDRLEN || offset + length > end) break;
      if ((u16[(offset + 2) >>> 1]! & NLA_TYPE_MASK) === type) found = offset + NLA_HDRLEN;
      offset += (length + 3) & ~3;
    }
    return found;
  }

  /** An unsigned value of any width the kernel sent, as attributeUint reads it (undefined for an odd width). */
  private uint(at: number, length: number): number | undefined {
    switch (length) {
      case 1: return this.bytes[at]!;
      case 2: return this.u16[at >>> 1]!;
      case 4: return this.u32[at >>> 2]!;
      case 8: return this.u64(at);
      default: return undefined;
    }
  }

  /**
   * A 64-bit counter as a number, rounded exactly as Number(readBigUInt64) rounds: both halves are
   * exact doubles and one addition rounds their exact sum to the nearest double.
   */
  private u64(at: number): number {
    const first = this.u32[at >>> 2]!;
    const second = this.u32[(at >>> 2) + 1]!;
    return HOST_LITTLE_ENDIAN ? second * 0x100000000 + first : first * 0x100000000 + second;
  }

  /**
   * Bytes a TCP socket carried, tcp_info's bytes_received plus bytes_acked (Linux 4.1+, offsets 128
   * and 120 of INET_DIAG_INFO, as decodeTcpInfo in src/native/decode-tcp-info.ts reads them): what
   * the probe plots per subflow. Undefined when the dump carried no tcp_info that long.
   */
  readTcpBytes(): number | undefined {
    this.readAttributes();
    if (this.info < 0 || this.infoLength < TCP_INFO_BYTES_END) return undefined;
    return this.u64(this.info + 120) + this.u64(this.info + 128);
  }

  /**
   * The subflow's token, address ids and flags from the ULP info's nested MPTCP attribute, as
   * decodeUlpInfo reads them (any width the kernel sent, the last of each type wins); false when the
   * ULP info has no such attribute.
   */
  readSubflow(into: SubflowFields): boolean {
    this.readAttributes();
    if (this.ulp < 0) return false;
    const nested = this.findAttribute(this.ulp, this.ulp + this.ulpLength, INET_ULP_INFO_MPTCP);
    if (nested < 0) return false;
    const u16 = this.u16;
    into.tokenLocal = undefined;
    into.idLocal = undefined;
    into.idRemote = undefined;
    let flags: number | undefined;
    const end = nested + u16[(nested - NLA_HDRLEN) >>> 1]! - NLA_HDRLEN;
    let offset = nested;
    while (offset + NLA_HDRLEN <= end) {
      const length = u16[offset >>> 1]!;
      if (length < NLA_HDRLEN || offset + length > end) break;
      const type = u16[(offset + 2) >>> 1]! & NLA_TYPE_MASK;
      if (type === MPTCP_SUBFLOW_ATTR_TOKEN_LOC || type === MPTCP_SUBFLOW_ATTR_ID_LOC || type === MPTCP_SUBFLOW_ATTR_ID_REM || type === MPTCP_SUBFLOW_ATTR_FLAGS) {
        const value = this.uint(offset + NLA_HDRLEN, length - NLA_HDRLEN);
        if (type === MPTCP_SUBFLOW_ATTR_TOKEN_LOC) into.tokenLocal = value;
        else if (type === MPTCP_SUBFLOW_ATTR_ID_LOC) into.idLocal = value;
        else if (type === MPTCP_SUBFLOW_ATTR_ID_REM) into.idRemote = value;
        else flags = value;
      }
      offset += (length + 3) & ~3;
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
    const u32 = this.u32;
    const i = this.info;
    const n = this.infoLength;
    into.subflows = b[i]!;
    into.addAddrSignal = b[i + 1]!;
    into.addAddrAccepted = b[i + 2]!;
    into.flags = u32[(i + 8) >>> 2]!;
    into.token = u32[(i + 12) >>> 2]!;
    into.csumEnabled = n >= 48 ? b[i + 42] !== 0 : undefined;
    if (n >= 80) {
      into.retransmits = u32[(i + 44) >>> 2]!;
      into.bytesRetrans = this.u64(i + 48);
      into.bytesSent = this.u64(i + 56);
      into.bytesReceived = this.u64(i + 64);
    } else {
      into.retransmits = into.bytesRetrans = into.bytesSent = into.bytesReceived = undefined;
    }
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

/** How errors name a dump: "sock_diag dump of MPTCP sockets". */
export function dumpDescription(protocol: 'tcp' | 'mptcp'): string {
  return `sock_diag dump of ${protocol === 'mptcp' ? 'MPTCP' : 'TCP'} sockets`;
}

/** Calls `visit` with the reader on each inet socket of a reply; true when the kernel flagged it interrupted. */
export function walkDump(bytes: Buffer, what: string, visit: (socket: DumpReader) => void): boolean {
  const reader = new DumpReader(what).start(bytes);
  while (reader.next()) visit(reader);
  return reader.interrupted;
}

/**
 * Address text by its bytes, made once per distinct address and numbered: a host's tens of
 * thousands of sockets share a handful of local addresses, and every string made is one more for
 * the garbage collector. `names[i]` is the text of number i.
 */
export class AddressNames {
  readonly names: string[] = [];
  private readonly v4 = new U32Map();
  private readonly v6 = new Map<string, number>();
  /** The last IPv4 address asked for and its number: most sockets repeat it (the host's own address). */
  private lastKey = -1;
  private lastIndex = -1;

  /** The number of the address at `at` of the reader's bytes (4 bytes for IPv4, 16 for IPv6), written as inet-diag.ts writes it. */
  index(reader: DumpReader, at: number, family: 4 | 6): number {
    const b = reader.bytes;
    if (family === 4) {
      const key = reader.u32[at >>> 2]!;
      if (key === this.lastKey) return this.lastIndex;
      let index = this.v4.get(key);
      if (index < 0) {
        index = this.names.push(`${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`) - 1;
        this.v4.set(key, index);
      }
      this.lastKey = key;
      this.lastIndex = index;
      return index;
    }
    const key = b.toString('latin1', at, at + 16);
    let index = this.v6.get(key);
    if (index === undefined) {
      index = this.names.push(formatIpv6(b.subarray(at, at + 16))) - 1;
      this.v6.set(key, index);
    }
    return index;
  }

  localIndex(socket: DumpReader): number {
    return this.index(socket, socket.at + 8, socket.family);
  }

  remoteIndex(socket: DumpReader): number {
    return this.index(socket, socket.at + 24, socket.family);
  }

  local(socket: DumpReader): string {
    return this.names[this.localIndex(socket)]!;
  }

  remote(socket: DumpReader): string {
    return this.names[this.remoteIndex(socket)]!;
  }
}
