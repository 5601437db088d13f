// Creates sockets MPTCP first. When the kernel refuses MPTCP we say why (docs/mptcp-facts.md, "Socket creation")
// and hand back a plain TCP socket: the caller still gets a working connection.
import { isSystemError, native } from './binding.js';

export type SocketKind = 'mptcp' | 'tcp';

/** Why a socket is plain TCP. `forced`: the user asked for TCP (--tcp). */
export type TcpReason = 'disabled' | 'unsupported' | 'old-kernel' | 'blocked' | 'forced' | 'unknown';

export interface CreatedSocket {
  fd: number;
  family: 4 | 6;
  socket: SocketKind;
  /** Set when `socket` is 'tcp'. */
  reason?: TcpReason;
  /** The errno name the kernel gave for refusing MPTCP, e.g. 'ENOPROTOOPT'. */
  refusalCode?: string;
}

/** Maps the errno of socket(..., IPPROTO_MPTCP) to the reason MPTCP is unavailable. */
export function classifyRefusal(code: string): TcpReason {
  switch (code) {
    case 'ENOPROTOOPT':
      return 'disabled'; // net.mptcp.enabled = 0
    case 'EPROTONOSUPPORT':
      return 'unsupported'; // kernel built without CONFIG_MPTCP
    case 'EINVAL':
      return 'old-kernel'; // before 5.6, protocol 262 is just invalid
    case 'EACCES':
    case 'EPERM':
      return 'blocked'; // SELinux, BPF cgroup hooks
    default:
      return 'unknown';
  }
}

export function describeTcpReason(reason: TcpReason): string {
  switch (reason) {
    case 'disabled':
      return 'MPTCP is disabled (net.mptcp.enabled = 0)';
    case 'unsupported':
      return 'the kernel has no MPTCP support (CONFIG_MPTCP)';
    case 'old-kernel':
      return 'the kernel is older than 5.6 and has no MPTCP sockets';
    case 'blocked':
      return 'MPTCP sockets are blocked by policy (SELinux, BPF)';
    case 'forced':
      return 'plain TCP was requested';
    case 'unknown':
      return 'the kernel refused an MPTCP socket';
  }
}

export interface CreateSocketOptions {
  /** Skip MPTCP and open plain TCP (reason 'forced'). */
  tcp?: boolean;
}

export function createSocket(family: 4 | 6, options: CreateSocketOptions = {}): CreatedSocket {
  const addon = native();
  if (options.tcp) return { fd: addon.openSocket(family, false), family, socket: 'tcp', reason: 'forced' };
  try {
    return { fd: addon.openSocket(family, true), family, socket: 'mptcp' };
  } catch (error) {
    if (!isSystemError(error)) throw error;
    // EMFILE/ENFILE/ENOBUFS are not about MPTCP: a TCP socket would fail the same way.
    if (['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EAFNOSUPPORT'].includes(error.code)) throw error;
    const fd = addon.openSocket(family, false);
    return { fd, family, socket: 'tcp', reason: classifyRefusal(error.code), refusalCode: error.code };
  }
}

export function closeSocket(fd: number): void {
  native().closeSocket(fd);
}

export function bindSocket(fd: number, address: string, port: number): void {
  native().bindSocket(fd, address, port, { reuseAddress: true });
}

export interface BufferSizeRequest {
  receive?: number;
  send?: number;
}

/** Sets SO_RCVBUF/SO_SNDBUF (forcing past rmem_max when privileged); returns what the kernel applied. */
export function setBufferSizes(fd: number, sizes: BufferSizeRequest): { receive: number; send: number } {
  return native().setBufferSizes(fd, { ...sizes, force: true });
}

export function getBufferSizes(fd: number): { receive: number; send: number } {
  return native().getBufferSizes(fd);
}

/** The integer TCP options the server tunes on its data sockets (docs/server.md, "Sending"). */
export type TcpIntOption = 'notsentLowat' | 'noDelay' | 'cork';

function tcpOption(option: TcpIntOption): number {
  const constants = native().constants;
  switch (option) {
    case 'notsentLowat':
      return constants.TCP_NOTSENT_LOWAT;
    case 'noDelay':
      return constants.TCP_NODELAY;
    case 'cork':
      return constants.TCP_CORK;
  }
}

/** setsockopt(IPPROTO_TCP) of one integer option; on an MPTCP socket the kernel applies it to every subflow. */
export function setTcpOption(fd: number, option: TcpIntOption, value: number): void {
  native().setIntOption(fd, native().constants.IPPROTO_TCP, tcpOption(option), value);
}

export function getTcpOption(fd: number, option: TcpIntOption): number {
  return native().getIntOption(fd, native().constants.IPPROTO_TCP, tcpOption(option));
}

/**
 * SO_SNDBUF beyond net.core.wmem_max, or nothing: SO_SNDBUFFORCE needs CAP_NET_ADMIN, and its
 * fallback, plain SO_SNDBUF, would cap the size at wmem_max (208 KiB on a default host) and still
 * turn send-buffer autotuning off (up to net.ipv4.tcp_wmem's 4 MiB): worse than leaving it alone.
 * Throws the kernel's error (EPERM without the capability). Returns SO_SNDBUF as the kernel reports it (twice `bytes`).
 */
export function forceSendBuffer(fd: number, bytes: number): number {
  const constants = native().constants;
  native().setIntOption(fd, constants.SOL_SOCKET, constants.SO_SNDBUFFORCE, bytes);
  return native().getIntOption(fd, constants.SOL_SOCKET, constants.SO_SNDBUF);
}
