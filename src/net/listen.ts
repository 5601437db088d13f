// MPTCP listening sockets served by net.Server: we create and bind the fd (Node cannot bind a
// descriptor it did not create), then hand it to server.listen({ fd }).
import net from 'node:net';
import { bindSocket, closeSocket, createSocket, setBufferSizes, type CreatedSocket } from '../native/index.js';
import type { BufferSizeRequest } from '../native/socket-factory.js';
import { formatHostPort, resolveHost } from './address.js';
import { toNetworkError } from './errors.js';
import { reportConnection, type ConnectionReport } from './report.js';

export interface ListenOptions {
  /** A literal address or a name (the first address it resolves to). */
  host: string;
  /** 0 for any free port. */
  port: number;
  backlog?: number;
  tcp?: boolean;
  /** Inherited by accepted sockets. */
  bufferSizes?: BufferSizeRequest;
}

export interface MptcpListener {
  server: net.Server;
  fd: number;
  created: CreatedSocket;
  address: string;
  port: number;
  family: 4 | 6;
  close(): Promise<void>;
}

export async function listenMptcp(options: ListenOptions, onConnection?: (socket: net.Socket) => void): Promise<MptcpListener> {
  const [resolved] = await resolveHost(options.host);
  const { address, family } = resolved!;
  const where = formatHostPort(address, options.port);
  const created = createSocket(family, { tcp: options.tcp });
  try {
    bindSocket(created.fd, address, options.port);
    if (options.bufferSizes) setBufferSizes(created.fd, options.bufferSizes);
  } catch (error) {
    closeSocket(created.fd);
    throw toNetworkError(`listen on ${where}`, error);
  }
  const server = net.createServer({ noDelay: false }, onConnection);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(toNetworkError(`listen on ${where}`, error));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ fd: created.fd, backlog: options.backlog ?? 511 });
  });
  const bound = server.address() as net.AddressInfo;
  return {
    server,
    fd: created.fd,
    created,
    address: bound.address,
    port: bound.port,
    family,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The descriptor behind a socket Node accepted, for getsockopt. Undefined once destroyed. */
export function acceptedFd(socket: net.Socket): number | undefined {
  if (socket.destroyed) return undefined;
  const handle = (socket as unknown as { _handle?: { fd?: number } })._handle;
  return typeof handle?.fd === 'number' && handle.fd >= 0 ? handle.fd : undefined;
}

/** Report for an accepted socket: how it was created is read from the kernel (SO_PROTOCOL). */
export function reportAccepted(socket: net.Socket): ConnectionReport | undefined {
  const fd = acceptedFd(socket);
  return fd === undefined ? undefined : reportConnection(fd);
}
