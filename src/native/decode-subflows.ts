// Per-subflow records from MPTCP_FULL_INFO (6.5+) or MPTCP_TCPINFO + MPTCP_SUBFLOW_ADDRS (5.16+).
// Elements are packed at the stride the kernel reports (min of its size and ours).
import { decodeSockaddr, type SocketAddress } from './decode-sockaddr.js';
import { decodeTcpInfo, type TcpInfo } from './decode-tcp-info.js';

export interface SubflowDetail {
  /** Subflow id (MPTCP_FULL_INFO only). */
  id?: number;
  local?: SocketAddress;
  remote?: SocketAddress;
  tcp?: TcpInfo;
}

const SOCKADDR_STORAGE_SIZE = 128;

/** Splits a packed array into elements of `stride` bytes (a trailing partial element is dropped). */
export function splitElements(data: Buffer, stride: number): Buffer[] {
  if (stride <= 0) return [];
  const elements: Buffer[] = [];
  for (let offset = 0; offset + stride <= data.length; offset += stride) {
    elements.push(data.subarray(offset, offset + stride));
  }
  return elements;
}

/** struct mptcp_subflow_addrs: local then remote sockaddr_storage. */
export function decodeSubflowAddrs(element: Buffer): Pick<SubflowDetail, 'local' | 'remote'> {
  return {
    local: decodeSockaddr(element.subarray(0, SOCKADDR_STORAGE_SIZE)),
    remote: decodeSockaddr(element.subarray(SOCKADDR_STORAGE_SIZE, 2 * SOCKADDR_STORAGE_SIZE)),
  };
}

/** struct mptcp_subflow_info: u32 id, 4 bytes padding, then mptcp_subflow_addrs. */
export function decodeSubflowInfo(element: Buffer): SubflowDetail {
  const id = element.length >= 4 ? element.readUInt32LE(0) : undefined;
  return { id, ...decodeSubflowAddrs(element.subarray(8)) };
}

/** Zips the two per-subflow arrays; either may be shorter if the kernel changed between the two calls. */
export function zipSubflows(addresses: Buffer[], tcpInfos: Buffer[], withIds: boolean): SubflowDetail[] {
  const count = Math.max(addresses.length, tcpInfos.length);
  const subflows: SubflowDetail[] = [];
  for (let i = 0; i < count; i += 1) {
    const addr = addresses[i];
    const detail: SubflowDetail = addr ? (withIds ? decodeSubflowInfo(addr) : decodeSubflowAddrs(addr)) : {};
    const tcp = tcpInfos[i];
    if (tcp) detail.tcp = decodeTcpInfo(tcp);
    subflows.push(stripUndefined(detail));
  }
  return subflows;
}

function stripUndefined(detail: SubflowDetail): SubflowDetail {
  const out: SubflowDetail = {};
  if (detail.id !== undefined) out.id = detail.id;
  if (detail.local) out.local = detail.local;
  if (detail.remote) out.remote = detail.remote;
  if (detail.tcp) out.tcp = detail.tcp;
  return out;
}
