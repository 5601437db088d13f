// The one place that loads the native addon and declares its shape (docs/architecture.md, "The native boundary").
// Nothing outside src/native touches the addon. MPTCP_DOCTOR_ADDON points at another build;
// otherwise node-gyp-build picks build/Release (a local compile) or the matching prebuilds/ file,
// and the single executable loads the copy embedded in it (docs/packaging.md).
/// <reference path="./node-gyp-build.d.ts" />
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as sea from 'node:sea';
import { fileURLToPath } from 'node:url';
import nodeGypBuild from 'node-gyp-build';

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
  SOL_SOCKET: number;
  SO_SNDBUF: number;
  SO_SNDBUFFORCE: number;
  TCP_NODELAY: number;
  TCP_CORK: number;
  TCP_NOTSENT_LOWAT: number;
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
  /**
   * setsockopt of one int; only TCP_NODELAY, TCP_CORK, TCP_NOTSENT_LOWAT, SO_SNDBUF, SO_RCVBUF and their
   * FORCE variants (RangeError otherwise).
   */
  setIntOption(fd: number, level: number, name: number, value: number): void;
  /** getsockopt of one int, the same allow-list. */
  getIntOption(fd: number, level: number, name: number): number;
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

/** The directory holding our package.json: node-gyp-build looks for build/ and prebuilds/ there. */
function packageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new AddonUnavailableError('cannot find the mptcp-doctor package root');
    directory = parent;
  }
  return directory;
}

/** The asset name under which scripts/sea.mjs embeds the addon in the single executable. */
export const SEA_ADDON_ASSET = 'mptcp_doctor.node';

let loaded: NativeAddon | undefined;

function load(path: string): NativeAddon {
  const module = { exports: {} as NativeAddon };
  process.dlopen(module, path);
  return module.exports;
}

/**
 * The single executable carries the addon as an asset, and the dynamic loader needs a file: write it
 * to a fresh directory only we can read (mkdtemp makes it 0700), created exclusively (O_EXCL: never
 * into a file someone else made), load it, then remove both at once. The mapping stays valid after
 * unlink, so nothing is left behind even when the process is killed later.
 */
function loadFromSea(): NativeAddon {
  const bytes = Buffer.from(sea.getAsset(SEA_ADDON_ASSET));
  let directory: string | undefined;
  try {
    directory = mkdtempSync(join(tmpdir(), 'mptcp-doctor-'));
    const path = join(directory, SEA_ADDON_ASSET);
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o700);
    try {
      writeSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
    return load(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    // A noexec mount refuses the mapping: "failed to map segment from shared object".
    const hint = /map segment|operation not permitted/i.test(reason) ? ' (is it mounted noexec? set TMPDIR to a directory that allows executables)' : '';
    throw new AddonUnavailableError(`native addon not loadable from the executable via TMPDIR ${tmpdir()}: ${reason}${hint}`);
  } finally {
    if (directory) rmSync(directory, { recursive: true, force: true });
  }
}

/** Where the addon comes from: MPTCP_DOCTOR_ADDON, the single executable, or build/ and prebuilds/ (node-gyp-build). */
export function addonPath(): string {
  if (process.env.MPTCP_DOCTOR_ADDON) return process.env.MPTCP_DOCTOR_ADDON;
  if (sea.isSea()) return `(embedded ${SEA_ADDON_ASSET})`;
  return nodeGypBuild.resolve(packageRoot());
}

export function native(): NativeAddon {
  if (loaded) return loaded;
  if (process.platform !== 'linux') throw new AddonUnavailableError('mptcp-doctor needs Linux (MPTCP is a Linux kernel feature)');
  const override = process.env.MPTCP_DOCTOR_ADDON;
  if (!override && sea.isSea()) return (loaded = loadFromSea());
  let path = override ?? '';
  try {
    path ||= nodeGypBuild.resolve(packageRoot());
    loaded = load(path);
  } catch (error) {
    if (error instanceof AddonUnavailableError) throw error;
    const first = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    // node-gyp-build's own message lists every tag it matched against: one line is enough here.
    const reason = first.startsWith('No native build was found') ? `none built for ${process.platform}-${process.arch}` : first;
    const where = path || 'build/Release or prebuilds/';
    throw new AddonUnavailableError(`native addon not loadable (${where}): ${reason}; run npm run build:native (or reinstall with --allow-scripts=mptcp-doctor to compile it)`);
  }
  return loaded;
}
