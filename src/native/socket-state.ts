// What the kernel says about an open socket: is it MPTCP now, and what are its subflows.
import { isSystemError, native } from './binding.js';
import { decodeMptcpInfo, totalSubflows, type MptcpInfo } from './decode-mptcp-info.js';
import { decodeTcpInfo, type TcpInfo } from './decode-tcp-info.js';
import { decodeSockaddr, type SocketAddress } from './decode-sockaddr.js';
import { splitElements, zipSubflows, type SubflowDetail } from './decode-subflows.js';

export type ConnectionState = 'mptcp' | 'fallback' | 'tcp';

/** How the state was established: newest kernel interface first. */
export type StateMethod = 'tcp_is_mptcp' | 'mptcp_info' | 'so_protocol';

export interface MptcpStateSample {
  state: ConnectionState;
  method: StateMethod;
  /** The protocol the socket was created with (SO_PROTOCOL): 262 stays 262 after fallback. */
  protocol?: 'mptcp' | 'tcp';
  info?: MptcpInfo;
  /** Why MPTCP_INFO could not be read, when it could not. */
  infoError?: string;
}

/** errnos meaning "this socket is not (or no longer) MPTCP" rather than a real failure. */
const NOT_MPTCP_CODES = new Set(['EOPNOTSUPP', 'ENOPROTOOPT', 'ENOTSUP']);

function errorCode(error: unknown): string {
  if (isSystemError(error)) return error.code;
  throw error;
}

export function readSocketProtocol(fd: number): 'mptcp' | 'tcp' | undefined {
  try {
    const protocol = native().getSocketProtocol(fd);
    return protocol === native().constants.IPPROTO_MPTCP ? 'mptcp' : 'tcp';
  } catch (error) {
    errorCode(error);
    return undefined;
  }
}

export function readMptcpInfo(fd: number): { info?: MptcpInfo; error?: string } {
  try {
    return { info: decodeMptcpInfo(native().getMptcpInfo(fd)) };
  } catch (error) {
    return { error: errorCode(error) };
  }
}

/**
 * Samples the socket's MPTCP state. TCP_IS_MPTCP (5.16+) is authoritative; on older kernels the
 * MPTCP_INFO errno tells fallback (EOPNOTSUPP/ENOPROTOOPT), and before MPTCP_INFO only SO_PROTOCOL
 * is left, which says how the socket was created, not whether MPTCP held.
 */
export function sampleMptcpState(fd: number): MptcpStateSample {
  const addon = native();
  const protocol = readSocketProtocol(fd);
  if (protocol === 'tcp') return { state: 'tcp', method: 'so_protocol', protocol };
  const { info, error: infoError } = readMptcpInfo(fd);
  try {
    const isMptcp = addon.getTcpIsMptcp(fd);
    const state: ConnectionState = isMptcp === 1 ? 'mptcp' : protocol === 'mptcp' ? 'fallback' : 'tcp';
    return { state, method: 'tcp_is_mptcp', protocol, info, infoError };
  } catch (error) {
    errorCode(error);
  }
  if (info) return { state: info.fallback ? 'fallback' : 'mptcp', method: 'mptcp_info', protocol, info };
  if (infoError && NOT_MPTCP_CODES.has(infoError) && protocol === 'mptcp') {
    return { state: 'fallback', method: 'mptcp_info', protocol, infoError };
  }
  return { state: protocol === 'mptcp' ? 'mptcp' : 'tcp', method: 'so_protocol', protocol, infoError };
}

export type SubflowSource = 'full_info' | 'tcpinfo_addrs' | 'tcp_info';

export interface SubflowsSample {
  source: SubflowSource;
  /** The kernel's count, which may exceed `details.length` if more subflows exist than we asked for. */
  count: number;
  details: SubflowDetail[];
  info?: MptcpInfo;
}

const MAX_SUBFLOWS = 16;

/** Per-subflow addresses and tcp_info of an MPTCP socket; throws the kernel's error when none of the ways work. */
export function readSubflows(fd: number): SubflowsSample {
  const addon = native();
  const c = addon.constants;
  try {
    const full = addon.getFullInfo(fd, MAX_SUBFLOWS);
    const details = zipSubflows(
      splitElements(full.subflowInfo, full.subflowInfoStride),
      splitElements(full.tcpInfo, full.tcpInfoStride),
      true,
    );
    const info = full.mptcpInfo.length >= 40 ? decodeMptcpInfo(full.mptcpInfo) : undefined;
    return { source: 'full_info', count: full.numSubflows, details, info };
  } catch (error) {
    const code = errorCode(error);
    // EINVAL/ENOPROTOOPT/EOPNOTSUPP on kernels before 6.5: try the two older calls.
    if (!['EINVAL', 'ENOPROTOOPT', 'EOPNOTSUPP'].includes(code)) throw error;
  }
  const addrs = addon.getSubflowData(fd, c.MPTCP_SUBFLOW_ADDRS, c.SUBFLOW_ADDRS_SIZE, MAX_SUBFLOWS);
  const tcp = addon.getSubflowData(fd, c.MPTCP_TCPINFO, c.TCP_INFO_MAX_SIZE, MAX_SUBFLOWS);
  const details = zipSubflows(splitElements(addrs.data, addrs.sizeUser), splitElements(tcp.data, tcp.sizeUser), false);
  return { source: 'tcpinfo_addrs', count: Math.max(addrs.numSubflows, tcp.numSubflows), details };
}

/** tcp_info of a TCP or fallen-back socket (MPTCP answers for its single subflow after fallback). */
export function readTcpInfo(fd: number): TcpInfo | undefined {
  try {
    return decodeTcpInfo(native().getTcpInfo(fd));
  } catch (error) {
    errorCode(error);
    return undefined;
  }
}

export { totalSubflows };

/** Local and remote address of any socket, from the kernel (undefined where not connected). */
export function readSocketAddresses(fd: number): { local?: SocketAddress; remote?: SocketAddress } {
  const read = (peer: boolean) => {
    try {
      return decodeSockaddr(native().getSocketName(fd, peer));
    } catch (error) {
      errorCode(error);
      return undefined;
    }
  };
  return { local: read(false), remote: read(true) };
}
