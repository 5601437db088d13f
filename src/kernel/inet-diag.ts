// sock_diag for inet sockets (linux/inet_diag.h, linux/sock_diag.h): the dump request, and the
// inet_diag_msg + attributes of each socket in the reply, decoded by length.
import { decodeMptcpInfo, type MptcpInfo } from '../native/decode-mptcp-info.js';
import { formatIpv6 } from '../native/decode-sockaddr.js';
import { encodeMessage, NLM_F_DUMP, NLM_F_REQUEST, parseAttributes, u32Attribute, type NetlinkMessage } from './netlink-frame.js';
import { decodeUlpInfo, type UlpInfo } from './ulp-info.js';

export const SOCK_DIAG_BY_FAMILY = 20;
export const IPPROTO_TCP = 6;
export const IPPROTO_MPTCP = 262;
const AF_INET = 2;
const AF_INET6 = 10;

const INET_DIAG_REQ_PROTOCOL = 3;
const INET_DIAG_INFO = 2;
const INET_DIAG_ULP_INFO = 19;

/** struct inet_diag_msg: 4 bytes, the 48-byte inet_diag_sockid, then expires, queues, uid, inode. */
export const INET_DIAG_MSG_LENGTH = 72;

export const TCP_STATES = [
  'unknown', 'established', 'syn-sent', 'syn-recv', 'fin-wait-1', 'fin-wait-2', 'time-wait', 'close',
  'close-wait', 'last-ack', 'listen', 'closing', 'new-syn-recv', 'bound-inactive',
] as const;
export type TcpStateName = (typeof TCP_STATES)[number];

export const TCP_ESTABLISHED = 1;
export const TCP_TIME_WAIT = 6;
export const TCP_LISTEN = 10;
export const TCP_NEW_SYN_RECV = 12;

/** Every state except those that carry no owner: TIME_WAIT and request sockets (no inode, no process). */
export const STATES_WITH_OWNERS = 0xffffffff & ~((1 << TCP_TIME_WAIT) | (1 << TCP_NEW_SYN_RECV) | (1 << 3));

export interface Endpoint {
  address: string;
  port: number;
}

export interface DiagSocket {
  family: 4 | 6;
  state: TcpStateName;
  local: Endpoint;
  remote: Endpoint;
  /** Bound interface index (0 when none). */
  interfaceIndex: number;
  /** The kernel's socket cookie, as 16 hex digits. */
  cookie: string;
  uid: number;
  /** Socket inode: ties the socket to the processes holding it (/proc/PID/fd). 0 for orphans. */
  inode: number;
  /** Listeners: the accept backlog; others: bytes queued to read. */
  receiveQueue: number;
  /** Listeners: the maximum backlog; others: bytes queued to send. */
  sendQueue: number;
  /** MPTCP sockets: struct mptcp_info (INET_DIAG_INFO), by the length this kernel sent. */
  mptcpInfo?: MptcpInfo;
  /** TCP sockets: the upper-layer protocol on top (INET_DIAG_ULP_INFO), "mptcp" for MPTCP subflows. */
  ulp?: UlpInfo;
}

export interface DumpRequest {
  family: 4 | 6;
  protocol: 'tcp' | 'mptcp';
  /** Bit mask of TCP states (1 << state). */
  states?: number;
  /** Ask for INET_DIAG_INFO (mptcp_info for MPTCP sockets, tcp_info for TCP). */
  info?: boolean;
}

/**
 * SOCK_DIAG_BY_FAMILY dump request: struct inet_diag_req_v2, and for MPTCP the protocol as the
 * INET_DIAG_REQ_PROTOCOL attribute (5.9+): 262 does not fit the request's 8-bit protocol field.
 * The 8-bit field is then left 0, which no handler serves: a kernel that ignores the attribute
 * answers ENOENT instead of silently dumping some other protocol.
 */
export function encodeDumpRequest(request: DumpRequest, seq = 1): Buffer {
  const payload = Buffer.alloc(56);
  payload.writeUInt8(request.family === 6 ? AF_INET6 : AF_INET, 0);
  payload.writeUInt8(request.protocol === 'tcp' ? IPPROTO_TCP : 0, 1);
  payload.writeUInt8(request.info ? 1 << (INET_DIAG_INFO - 1) : 0, 2);
  payload.writeUInt32LE((request.states ?? STATES_WITH_OWNERS) >>> 0, 4);
  // id (48 bytes) stays zero: cookie 0 and wildcards, a dump of everything.
  const attributes = request.protocol === 'mptcp' ? [u32Attribute(INET_DIAG_REQ_PROTOCOL, IPPROTO_MPTCP)] : [];
  return encodeMessage(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, Buffer.concat([payload, ...attributes]), seq);
}

function address(bytes: Buffer, family: 4 | 6): string {
  return family === 4 ? `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}` : formatIpv6(bytes);
}

/**
 * One socket of a dump reply; undefined for a message that is not an inet socket (too short, or an
 * unknown family). `protocol` says how to read INET_DIAG_INFO.
 */
export function decodeDiagMessage(message: NetlinkMessage, protocol: 'tcp' | 'mptcp'): DiagSocket | undefined {
  const p = message.payload;
  if (message.type !== SOCK_DIAG_BY_FAMILY || p.length < INET_DIAG_MSG_LENGTH) return undefined;
  const familyCode = p.readUInt8(0);
  if (familyCode !== AF_INET && familyCode !== AF_INET6) return undefined;
  const family: 4 | 6 = familyCode === AF_INET6 ? 6 : 4;
  const stateCode = p.readUInt8(1);
  const socket: DiagSocket = {
    family,
    state: TCP_STATES[stateCode] ?? 'unknown',
    local: { address: address(p.subarray(8, 24), family), port: p.readUInt16BE(4) },
    remote: { address: address(p.subarray(24, 40), family), port: p.readUInt16BE(6) },
    interfaceIndex: p.readUInt32LE(40),
    cookie: p.readUInt32LE(48).toString(16).padStart(8, '0') + p.readUInt32LE(44).toString(16).padStart(8, '0'),
    receiveQueue: p.readUInt32LE(56),
    sendQueue: p.readUInt32LE(60),
    uid: p.readUInt32LE(64),
    inode: p.readUInt32LE(68),
  };
  for (const attribute of parseAttributes(p.subarray(INET_DIAG_MSG_LENGTH))) {
    if (attribute.type === INET_DIAG_INFO && protocol === 'mptcp') {
      // Listeners carry no mptcp_info worth reading (the kernel leaves it zeroed); short ones are skipped.
      try {
        socket.mptcpInfo = decodeMptcpInfo(attribute.value);
      } catch {
        // shorter than the 5.9 struct: not an mptcp_info this decoder knows
      }
    } else if (attribute.type === INET_DIAG_ULP_INFO) {
      socket.ulp = decodeUlpInfo(attribute.value);
    }
  }
  return socket;
}
