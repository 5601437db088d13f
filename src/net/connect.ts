// Outgoing MPTCP connections as ordinary Node sockets. We create the family-matched MPTCP socket
// ourselves (TCP when the kernel refuses), wrap its fd in net.Socket and connect it to a literal
// address with autoSelectFamily off, which keeps Node from swapping in a plain TCP socket.
import net from 'node:net';
import { bindSocket, closeSocket, createSocket, setBufferSizes, type CreatedSocket } from '../native/index.js';
import type { BufferSizeRequest } from '../native/socket-factory.js';
import { formatHostPort, resolveHost, type ResolvedAddress } from './address.js';
import { NetworkError, toNetworkError } from './errors.js';
import { reportConnection, type ConnectionReport } from './report.js';

export interface ConnectOptions {
  host: string;
  port: number;
  /** Whole connect, all addresses tried (default 10 s). */
  timeoutMs?: number;
  /** Plain TCP on purpose (comparisons, benchmarks). */
  tcp?: boolean;
  family?: 4 | 6;
  /** Bind to this local address first (port chosen by the kernel). */
  localAddress?: string;
  bufferSizes?: BufferSizeRequest;
  signal?: AbortSignal;
  /** Node's onread: reads go straight into caller-owned buffers (bulk receivers, no per-read allocation). */
  onread?: net.OnReadOpts;
}

export interface MptcpConnection {
  socket: net.Socket;
  /** Our copy of the descriptor, for getsockopt; valid until the socket is destroyed. */
  fd: number;
  created: CreatedSocket;
  remote: ResolvedAddress & { port: number };
  /** What the kernel says now. Throws once the socket is destroyed (the fd number may be reused). */
  report(): ConnectionReport;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export async function connectMptcp(options: ConnectOptions): Promise<MptcpConnection> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const addresses = await resolveHost(options.host, options.family);
  let lastError: unknown;
  for (const [index, address] of addresses.entries()) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    // A silently dropped SYN must not eat the whole budget: each address gets its share of what is
    // left (the last one all of it), so a dead IPv6 route still leaves time for IPv4.
    const share = index === addresses.length - 1 ? remaining : Math.max(1000, Math.floor(remaining / (addresses.length - index)));
    try {
      return await connectOnce(address, options, Math.min(share, remaining));
    } catch (error) {
      lastError = error;
      if (options.signal?.aborted) break;
    }
  }
  if (lastError === undefined) {
    throw new NetworkError(`connect to ${formatHostPort(options.host, options.port)}: timed out`, 'ETIMEDOUT');
  }
  throw lastError;
}

function connectOnce(address: ResolvedAddress, options: ConnectOptions, timeoutMs: number): Promise<MptcpConnection> {
  const target = formatHostPort(address.address, options.port);
  const created = createSocket(address.family, { tcp: options.tcp });
  let socket: net.Socket;
  try {
    if (options.localAddress) bindSocket(created.fd, options.localAddress, 0);
    if (options.bufferSizes) setBufferSizes(created.fd, options.bufferSizes);
    socket = new net.Socket({ fd: created.fd, readable: true, writable: true, ...(options.onread ? { onread: options.onread } : {}) });
  } catch (error) {
    closeSocket(created.fd);
    throw toNetworkError(`connect to ${target}`, error);
  }
  const connection: MptcpConnection = {
    socket,
    fd: created.fd,
    created,
    remote: { ...address, port: options.port },
    report() {
      if (socket.destroyed) throw new Error('connection already closed: report it before closing');
      return reportConnection(created.fd, created);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new NetworkError(`connect to ${target}: timed out after ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs);
    const onAbort = () => fail(new NetworkError(`connect to ${target}: aborted`, 'ABORT_ERR'));
    function cleanup() {
      clearTimeout(timer);
      socket.off('error', onError);
      options.signal?.removeEventListener('abort', onAbort);
    }
    function fail(error: Error) {
      cleanup();
      socket.destroy();
      reject(error);
    }
    function onError(error: Error) {
      fail(toNetworkError(`connect to ${target}`, error));
    }
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.connect({ host: address.address, port: options.port, family: address.family, autoSelectFamily: false }, () => {
      cleanup();
      resolve(connection);
    });
  });
}
