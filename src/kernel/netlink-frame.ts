// Netlink framing (linux/netlink.h): message headers and attributes, read and written by length.
// Pure functions over bytes; the addon only moves them (src/native/netlink.ts).
//
// Written here rather than taken from npm: the one maintained-looking package (`netlink`) brings a
// second native addon with its own socket I/O, knows neither sock_diag nor mptcp_pm, and pins
// @types/node 12 as a runtime dependency; the framing itself is a few dozen lines.

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP = 0x300; // NLM_F_ROOT | NLM_F_MATCH

const NLA_F_NESTED = 0x8000;
const NLA_F_NET_BYTEORDER = 0x4000;
const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

export function align4(length: number): number {
  return (length + 3) & ~3;
}

export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** The payload after the 16-byte header (a view, not a copy). */
  payload: Buffer;
}

export class NetlinkFrameError extends Error {
  constructor(message: string) {
    super(`netlink: ${message}`);
    this.name = 'NetlinkFrameError';
  }
}

/** The messages in `bytes` (one or more datagrams back to back), in order. */
export function parseMessages(bytes: Buffer): NetlinkMessage[] {
  const messages: NetlinkMessage[] = [];
  let offset = 0;
  while (offset + NLMSG_HDRLEN <= bytes.length) {
    const length = bytes.readUInt32LE(offset);
    if (length < NLMSG_HDRLEN || offset + length > bytes.length) {
      throw new NetlinkFrameError(`message at byte ${offset} claims ${length} bytes, ${bytes.length - offset} left`);
    }
    messages.push({
      type: bytes.readUInt16LE(offset + 4),
      flags: bytes.readUInt16LE(offset + 6),
      seq: bytes.readUInt32LE(offset + 8),
      pid: bytes.readUInt32LE(offset + 12),
      payload: bytes.subarray(offset + NLMSG_HDRLEN, offset + length),
    });
    offset += align4(length);
  }
  return messages;
}

export interface NetlinkAttribute {
  /** The type without the NESTED and NET_BYTEORDER flag bits. */
  type: number;
  nested: boolean;
  value: Buffer;
}

/** The attributes (struct nlattr) in `bytes`; a truncated last attribute ends the list. */
export function parseAttributes(bytes: Buffer): NetlinkAttribute[] {
  const attributes: NetlinkAttribute[] = [];
  let offset = 0;
  while (offset + NLA_HDRLEN <= bytes.length) {
    const length = bytes.readUInt16LE(offset);
    const rawType = bytes.readUInt16LE(offset + 2);
    if (length < NLA_HDRLEN || offset + length > bytes.length) break;
    attributes.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      value: bytes.subarray(offset + NLA_HDRLEN, offset + length),
    });
    offset += align4(length);
  }
  return attributes;
}

/** Attributes by type (the last one wins, as in the kernel's nla_parse). */
export function attributeMap(bytes: Buffer): Map<number, Buffer> {
  const map = new Map<number, Buffer>();
  for (const attribute of parseAttributes(bytes)) map.set(attribute.type, attribute.value);
  return map;
}

/** A NUL-terminated string attribute. */
export function attributeString(value: Buffer): string {
  const end = value.indexOf(0);
  return value.subarray(0, end < 0 ? value.length : end).toString('utf8');
}

/** An unsigned attribute of whatever width the kernel sent (1, 2, 4 or 8 bytes, host order). */
export function attributeUint(value: Buffer): number | undefined {
  switch (value.length) {
    case 1: return value.readUInt8(0);
    case 2: return value.readUInt16LE(0);
    case 4: return value.readUInt32LE(0);
    case 8: return Number(value.readBigUInt64LE(0));
    default: return undefined;
  }
}

/** One attribute, padded to 4 bytes. */
export function encodeAttribute(type: number, value: Buffer): Buffer {
  const length = NLA_HDRLEN + value.length;
  const out = Buffer.alloc(align4(length));
  out.writeUInt16LE(length, 0);
  out.writeUInt16LE(type, 2);
  value.copy(out, NLA_HDRLEN);
  return out;
}

export function u32Attribute(type: number, value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value, 0);
  return encodeAttribute(type, bytes);
}

export function stringAttribute(type: number, value: string): Buffer {
  return encodeAttribute(type, Buffer.from(`${value}\0`, 'utf8'));
}

/** A complete message: header, then the payload padded to 4 bytes. */
export function encodeMessage(type: number, flags: number, payload: Buffer, seq = 1): Buffer {
  const length = NLMSG_HDRLEN + payload.length;
  const out = Buffer.alloc(align4(length));
  out.writeUInt32LE(length, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt16LE(flags, 6);
  out.writeUInt32LE(seq, 8);
  out.writeUInt32LE(0, 12);
  payload.copy(out, NLMSG_HDRLEN);
  return out;
}

/** The kernel refused a request: errno as Node spells it (negative), and its name where known. */
export class NetlinkRequestError extends Error {
  constructor(readonly errno: number, readonly code: string, what: string) {
    super(`${what}: ${code}`);
    this.name = 'NetlinkRequestError';
  }
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 12: 'ENOMEM', 13: 'EACCES', 16: 'EBUSY', 22: 'EINVAL', 93: 'EPROTONOSUPPORT',
  95: 'EOPNOTSUPP', 105: 'ENOBUFS',
};

/** errno's name where known ("ENOENT"), else "errno N". */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/**
 * The replies of one request: data messages in order. NLMSG_ERROR with a non-zero error throws
 * (with `what` in the message); an NLMSG_ERROR of 0 is the ACK and ends the reply, as does NLMSG_DONE.
 * `interrupted` is set when the kernel flagged the dump as inconsistent (NLM_F_DUMP_INTR: the set
 * changed while it was dumped).
 */
export function replyMessages(bytes: Buffer, what: string): { messages: NetlinkMessage[]; interrupted: boolean } {
  const messages: NetlinkMessage[] = [];
  let interrupted = false;
  for (const message of parseMessages(bytes)) {
    if ((message.flags & NLM_F_DUMP_INTR) !== 0) interrupted = true;
    if (message.type === NLMSG_NOOP) continue;
    if (message.type === NLMSG_DONE) {
      // A dump that failed part way ends with NLMSG_DONE carrying the negative errno.
      const error = message.payload.length >= 4 ? message.payload.readInt32LE(0) : 0;
      if (error < 0) throw new NetlinkRequestError(error, errnoName(-error), what);
      break;
    }
    if (message.type === NLMSG_ERROR) {
      const error = message.payload.length >= 4 ? message.payload.readInt32LE(0) : -22;
      if (error === 0) break;
      const errno = -Math.abs(error);
      throw new NetlinkRequestError(errno, errnoName(-errno), what);
    }
    messages.push(message);
  }
  return { messages, interrupted };
}
