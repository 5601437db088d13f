// struct mptcp_info, decoded by the length the kernel returned (docs/mptcp-facts.md, "mptcp_info layout"):
// 5.9 base (40 bytes), 5.12 local_addr_used/max and 5.14 csum_enabled (48), 6.5 retransmits and
// byte counters (80), 6.8 subflows_total (88), 6.10 last_* timestamps (96). A longer struct from a
// newer kernel decodes the same; its unknown tail is ignored.
import { ByteReader } from './byte-reader.js';

export const MPTCP_INFO_FLAG_FALLBACK = 1 << 0;
export const MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED = 1 << 1;

export interface MptcpInfo {
  /** How many bytes the kernel returned. */
  length: number;
  /** Additional subflows (not counting the first): see `totalSubflows`. */
  subflows: number;
  addAddrSignal: number;
  addAddrAccepted: number;
  subflowsMax: number;
  addAddrSignalMax: number;
  addAddrAcceptedMax: number;
  flags: number;
  fallback: boolean;
  remoteKeyReceived: boolean;
  token: number;
  writeSeq: string;
  sndUna: string;
  rcvNxt: string;
  localAddrUsed?: number;
  localAddrMax?: number;
  csumEnabled?: boolean;
  retransmits?: number;
  bytesRetrans?: number;
  bytesSent?: number;
  bytesReceived?: number;
  bytesAcked?: number;
  /** All subflows including the first (6.8+). */
  subflowsTotal?: number;
  lastDataSentMs?: number;
  lastDataRecvMs?: number;
  lastAckRecvMs?: number;
}

/** The smallest mptcp_info any kernel returns (5.9). */
export const MPTCP_INFO_MIN_LENGTH = 40;

export class MptcpInfoTooShortError extends Error {
  constructor(length: number) {
    super(`mptcp_info too short: ${length} bytes, need at least ${MPTCP_INFO_MIN_LENGTH}`);
    this.name = 'MptcpInfoTooShortError';
  }
}

/**
 * The struct grew by whole groups, each padded to 8 bytes; a group is decoded only when the kernel
 * returned its padded end. Reading field by field would take the 5.14 struct's padding (bytes 43-47)
 * for a 6.5 `retransmits`, and the 6.8 padding (84-87) for a 6.10 timestamp.
 */
const GROUP_END = { v5_14: 48, v6_5: 80, v6_8: 88, v6_10: 96 } as const;

export function decodeMptcpInfo(bytes: Buffer): MptcpInfo {
  if (bytes.length < MPTCP_INFO_MIN_LENGTH) throw new MptcpInfoTooShortError(bytes.length);
  const r = new ByteReader(bytes);
  const has = (end: number) => bytes.length >= end;
  const flags = r.u32(8)!;
  const info: MptcpInfo = {
    length: bytes.length,
    subflows: r.u8(0)!,
    addAddrSignal: r.u8(1)!,
    addAddrAccepted: r.u8(2)!,
    subflowsMax: r.u8(3)!,
    addAddrSignalMax: r.u8(4)!,
    addAddrAcceptedMax: r.u8(5)!,
    flags,
    fallback: (flags & MPTCP_INFO_FLAG_FALLBACK) !== 0,
    remoteKeyReceived: (flags & MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED) !== 0,
    token: r.u32(12)!,
    writeSeq: r.u64String(16)!,
    sndUna: r.u64String(24)!,
    rcvNxt: r.u64String(32)!,
  };
  if (has(GROUP_END.v5_14)) {
    // 5.12 added the two local_addr fields and 5.14 csum_enabled, both within the same 48 bytes;
    // a 5.12 kernel zeroes byte 42, which reads as checksums off (its only behaviour).
    Object.assign(info, { localAddrUsed: r.u8(40), localAddrMax: r.u8(41), csumEnabled: r.u8(42) !== 0 });
  }
  if (has(GROUP_END.v6_5)) {
    Object.assign(info, {
      retransmits: r.u32(44), bytesRetrans: r.u64(48), bytesSent: r.u64(56), bytesReceived: r.u64(64), bytesAcked: r.u64(72),
    });
  }
  if (has(GROUP_END.v6_8)) info.subflowsTotal = r.u8(80);
  if (has(GROUP_END.v6_10)) {
    Object.assign(info, { lastDataSentMs: r.u32(84), lastDataRecvMs: r.u32(88), lastAckRecvMs: r.u32(92) });
  }
  return info;
}

/** Total subflows: `subflows_total` where the kernel has it (6.8+), else the additional ones plus the first. */
export function totalSubflows(info: MptcpInfo): number {
  return info.subflowsTotal ?? info.subflows + 1;
}
