// The one place that loads the native addon and declares its shape (docs/architecture.md, "The native boundary").
// Nothing outside src/native touches the addon. MPTCP_DOCTOR_ADDON points at another build.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SubflowDataResult {
  /** The kernel's real subflow count (may exceed what fitted in `data`). */
  numSubflows: number;
  sizeKernel: number;
  /** Element stride in `data`: min(our element size, the kernel's). */
  sizeUser: number;
  data: Buffer;
}

export interface FullInfoResult {
  numSubflows: number;
  sizeTcpInfoKernel: number;
  sizeSubflowInfoKernel: number;
  tcpInfoStride: number;
  subflowInfoStride: number;
  subflowInfo: Buffer;
  tcpInfo: Buffer;
  mptcpInfo: Buffer;
}

export interface BufferSizes {
  receive: number;
  send: number;
}

export interface NativeConstants {
  IPPROTO_MPTCP: number;
  IPPROTO_TCP: number;
  SOL_MPTCP: number;
  MPTCP_INFO: number;
  MPTCP_TCPINFO: number;
  MPTCP_SUBFLOW_ADDRS: number;
  MPTCP_FULL_INFO: number;
  TCP_IS_MPTCP: number;
  AF_INET: number;
  AF_INET6: number;
  MPTCP_INFO_SIZE: number;
  SUBFLOW_ADDRS_SIZE: number;
  TCP_INFO_MAX_SIZE: number;
}

export interface NetlinkConstants {
  NETLINK_SOCK_DIAG: number;
  NETLINK_GENERIC: number;
}

/**
 * A netlink socket joined to multicast groups, read from a libuv poll handle on the main loop.
 * `onBatch(bytes, lost, error?)`: the datagrams read in one turn, back to back; `lost` counts the
 * ENOBUFS (receive-buffer overflows, messages dropped by the kernel) since the previous batch; an
 * `error` means reading failed and polling stopped.
 */
export interface NativeNetlinkSubscription {
  close(): void;
  pause(): void;
  resume(): void;
  ref(): void;
  unref(): void;
  /** SO_RCVBUF as the kernel reports it (twice the size granted), undefined once closed. */
  receiveBufferBytes(): number | undefined;
}

/**
 * One netlink request whose reply is read piece by piece: `read(buffer, timeoutMs)` fills `buffer`
 * (at least 64 KiB) from its start with whole reply datagrams, on the thread pool, and resolves with
 * the bytes written, 0 once the reply has ended. One read at a time (EBUSY otherwise).
 */
export interface NativeNetlinkDump {
  read(buffer: Buffer, timeoutMs: number): Promise<number>;
  /** Drops the socket (and the rest of the reply); a read in flight finishes first. */
  close(): void;
}

export type NetlinkBatchCallback = (bytes: Buffer, lost: number, error?: SystemError) => void;

/** Every function throws an Error with `code`, `errno` (negative, as Node's) and `syscall`. */
export interface NativeAddon {
  openSocket(family: 4 | 6, mptcp: boolean): number;
  closeSocket(fd: number): void;
  bindSocket(fd: number, address: string, port: number, options?: { reuseAddress?: boolean; v6Only?: boolean }): void;
  getTcpIsMptcp(fd: number): number;
  getSocketProtocol(fd: number): number;
  getMptcpInfo(fd: number): Buffer;
  getTcpInfo(fd: number): Buffer;
  getSubflowData(fd: number, optname: number, elementSize: number, maxElements: number): SubflowDataResult;
  getFullInfo(fd: number, maxSubflows: number): FullInfoResult;
  setBufferSizes(fd: number, sizes: { receive?: number; send?: number; force?: boolean }): BufferSizes;
  getBufferSizes(fd: number): BufferSizes;
  /** getsockname (or getpeername with peer) as raw sockaddr bytes. */
  getSocketName(fd: number, peer?: boolean): Buffer;
  constants: NativeConstants;
  /** One request on a fresh netlink socket; resolves with every reply datagram until NLMSG_DONE or NLMSG_ERROR. */
  netlinkTransact(protocol: number, request: Buffer, timeoutMs: number): Promise<Buffer>;
  NetlinkSubscription: new (protocol: number, groups: number[], receiveBufferBytes: number, onBatch: NetlinkBatchCallback) => NativeNetlinkSubscription;
  /** Sends `request` (a complete netlink message) on a fresh socket; throws a system error when it cannot. */
  NetlinkDump: new (protocol: number, request: Buffer) => NativeNetlinkDump;
  netlinkConstants: NetlinkConstants;
}

/** A system error as the addon (and Node) raise them. */
export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export function isSystemError(error: unknown): error is SystemError {
  return error instanceof Error && typeof (error as Partial<SystemError>).code === 'string';
}

/** Raised when the addon cannot be loaded; the CLI maps it to exit code 3. */
export class AddonUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddonUnavailableError';
  }
}

function packageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new AddonUnavailableError('cannot find the mptcp-doctor package root');
    directory = parent;
  }
  return directory;
}

let loaded: NativeAddon | undefined;

export function addonPath(): string {
  return process.env.MPTCP_DOCTOR_ADDON ?? join(packageRoot(), 'build', 'Release', 'mptcp_doctor.node');
}

export function native(): NativeAddon {
  if (loaded) return loaded;
  if (process.platform !== 'linux') throw new AddonUnavailableError('mptcp-doctor needs Linux (MPTCP is a Linux kernel feature)');
  const path = addonPath();
  try {
    loaded = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new AddonUnavailableError(`native addon not loadable (${path}): ${reason}; run npm run build:native`);
  }
  return loaded;
}
