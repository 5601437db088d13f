// Transfer strategies (basic-ftp style): one small function per way of opening a data connection.
// Each sends its command, makes or awaits the connection on an MPTCP socket (TCP only when the
// kernel refuses, or --tcp), and returns a DataChannel whose connection appears by ready().
import type net from 'node:net';
import type { BufferSizeRequest } from '../native/socket-factory.js';
import { formatHostPort } from '../net/address.js';
import type { ConnectOptions, MptcpConnection } from '../net/connect.js';
import { acceptedFd, type ListenOptions, type MptcpListener } from '../net/listen.js';
import { makeHandle, type DataMode, type FtpConnectionHandle } from './connection-handle.js';
import type { FtpContext } from './context.js';
import { holdDataSocket } from './data-socket.js';
import { FtpError } from './errors.js';
import { summarizeReply, type FtpReply } from './reply-parser.js';
import type { TlsClient } from './tls-client.js';
import { formatEprtArgument, formatPortArgument, parseEpsvReply, parsePasvReply, toIpv4 } from './reply-values.js';

export interface DataEnvironment {
  ctx: FtpContext;
  tcp: boolean;
  bufferSizes?: BufferSizeRequest;
  connectTimeoutMs: number;
  signal?: AbortSignal;
  /** Passive connections only: reads go into caller buffers (FileSink's fast path). */
  onread?: net.OnReadOpts;
  /**
   * Protected data connections (PROT P): starts TLS on the socket the instant it exists, so the
   * client hello goes out at once and the handshake is watched from its start.
   */
  protect?: (socket: net.Socket) => TlsClient;
  /** Each command with its reply, for observers (probe samples the control connection here). */
  onCommand(command: string, reply: FtpReply): void;
  onNote(message: string): void;
  connect: (options: ConnectOptions) => Promise<MptcpConnection>;
  listen: (options: ListenOptions, onConnection?: (socket: net.Socket) => void) => Promise<MptcpListener>;
}

export interface DataChannel {
  mode: DataMode;
  /** The data connection: already made (passive) or accepted from the server (active), bounded. */
  ready(timeoutMs: number): Promise<FtpConnectionHandle>;
  /** TLS over the data connection (PROT P), once the connection exists. */
  readonly tls: TlsClient | undefined;
  /** Closes the listener (active) and the connection if still open. Never throws. */
  close(): void;
}

/** A refusal worth trying the next strategy for: the command is unknown or not allowed here. */
export class DataCommandRefused extends FtpError {
  constructor(readonly command: string, reply: FtpReply) {
    super(`${command} refused: ${summarizeReply(reply)}`, 'reply', reply);
    this.name = 'DataCommandRefused';
  }
}

async function command(env: DataEnvironment, line: string): Promise<FtpReply> {
  const reply = await env.ctx.request(line);
  env.onCommand(line, reply);
  if (reply.code >= 400) throw new DataCommandRefused(line.split(' ')[0]!, reply);
  return reply;
}

function peer(env: DataEnvironment) {
  return env.ctx.connection.remote;
}

async function connectPassive(env: DataEnvironment, mode: DataMode, port: number): Promise<DataChannel> {
  const remote = peer(env);
  const connection = await env.connect({
    host: remote.address,
    port,
    family: remote.family,
    tcp: env.tcp,
    bufferSizes: env.bufferSizes,
    timeoutMs: env.connectTimeoutMs,
    signal: env.signal,
    ...(env.onread ? { onread: env.onread } : {}),
  });
  holdDataSocket(connection.socket);
  const tls = env.protect?.(connection.socket);
  const handle = makeHandle('data', mode, connection.socket, connection.fd, connection.created);
  return {
    mode,
    ready: async () => handle,
    tls,
    close: () => {
      tls?.socket.destroy();
      connection.socket.destroy();
    },
  };
}

/** EPSV (RFC 2428): the port only; the address is the control connection's peer. */
export async function openEpsv(env: DataEnvironment): Promise<DataChannel> {
  const reply = await command(env, 'EPSV');
  return connectPassive(env, 'epsv', parseEpsvReply(reply.message));
}

/**
 * PASV: IPv4 only. When the reply names an address other than the control peer (a NATed server,
 * or a hostile one pointing at a third party), connect to the control peer instead, as curl does.
 */
export async function openPasv(env: DataEnvironment): Promise<DataChannel> {
  const remote = peer(env);
  if (!toIpv4(remote.address)) throw new FtpError('PASV needs an IPv4 control connection (use EPSV)', 'local');
  const reply = await command(env, 'PASV');
  const offered = parsePasvReply(reply.message);
  if (offered.host !== toIpv4(remote.address)) {
    env.onNote(`PASV offered ${formatHostPort(offered.host, offered.port)}; connecting to the control peer ${formatHostPort(remote.address, offered.port)} instead`);
  }
  return connectPassive(env, 'pasv', offered.port);
}

async function openActive(env: DataEnvironment, mode: 'eprt' | 'port'): Promise<DataChannel> {
  const local = env.ctx.connection.socket.localAddress;
  if (!local) throw new FtpError('control connection has no local address', 'closed');
  if (mode === 'port' && !toIpv4(local)) throw new FtpError('PORT needs an IPv4 control connection (use EPRT)', 'local');
  const remoteAddress = peer(env).address;
  let accepted: net.Socket | undefined;
  let tls: TlsClient | undefined;
  let handle: FtpConnectionHandle | undefined;
  const waiters = new Set<(socket: net.Socket) => void>();
  // Kept open until the data connection ends: extra subflows join through this port (docs/mptcp-facts.md, "Subflows").
  const listener = await env.listen({ host: local, port: 0, tcp: env.tcp, bufferSizes: env.bufferSizes, backlog: 4 }, (socket) => {
    holdDataSocket(socket);
    if (accepted || normalize(socket.remoteAddress) !== normalize(remoteAddress)) {
      // Only the server we talk to may connect (RFC 2577 section 5: port stealing).
      if (!accepted) env.onNote(`refused a data connection from ${socket.remoteAddress ?? 'an unknown address'}`);
      socket.destroy();
      return;
    }
    accepted = socket;
    // TLS from the accept, not from when the 150 reply has been read: a server may end an empty
    // transfer right after connecting, and it needs our client hello to finish first.
    tls = env.protect?.(socket);
    for (const waiter of [...waiters]) waiter(socket);
  });
  const closeListener = () => {
    listener.server.close();
  };
  try {
    const argument = mode === 'eprt' ? formatEprtArgument(local, listener.port) : formatPortArgument(local, listener.port);
    await command(env, `${mode.toUpperCase()} ${argument}`);
  } catch (error) {
    closeListener();
    throw error;
  }
  function toHandle(socket: net.Socket): FtpConnectionHandle {
    if (handle) return handle;
    const fd = acceptedFd(socket);
    if (fd === undefined) throw new FtpError('data connection closed as soon as it was accepted', 'closed');
    handle = makeHandle('data', mode, socket, fd, listener.created);
    // The listener goes when the data connection does.
    socket.once('close', closeListener);
    return handle;
  }
  return {
    mode,
    ready(timeoutMs) {
      if (handle) return Promise.resolve(handle);
      // Each call waits on its own (the client may race this wait against the control connection).
      return new Promise((resolve, reject) => {
        const waiter = (socket: net.Socket) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          try {
            resolve(toHandle(socket));
          } catch (error) {
            reject(error);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new FtpError(`the server did not open the ${mode.toUpperCase()} data connection within ${Math.round(timeoutMs / 1000)} s`, 'timeout'));
        }, timeoutMs);
        waiters.add(waiter);
        if (accepted) waiter(accepted);
      });
    },
    get tls() {
      return tls;
    },
    close() {
      tls?.socket.destroy();
      accepted?.destroy();
      closeListener();
    },
  };
}

export const openEprt = (env: DataEnvironment) => openActive(env, 'eprt');
export const openPort = (env: DataEnvironment) => openActive(env, 'port');

const STRATEGIES: Record<DataMode, (env: DataEnvironment) => Promise<DataChannel>> = {
  epsv: openEpsv,
  pasv: openPasv,
  eprt: openEprt,
  port: openPort,
};

/** Tries each mode in order; a refusal (4xx/5xx) moves on, anything else stops. */
export async function openDataChannel(env: DataEnvironment, modes: readonly DataMode[]): Promise<DataChannel> {
  let refusal: DataCommandRefused | undefined;
  for (const mode of modes) {
    if ((mode === 'pasv' || mode === 'port') && !toIpv4(env.ctx.connection.remote.address)) continue;
    try {
      return await STRATEGIES[mode](env);
    } catch (error) {
      if (!(error instanceof DataCommandRefused)) throw error;
      refusal = error;
      env.onNote(`${error.message}${modes.indexOf(mode) < modes.length - 1 ? '; trying the next mode' : ''}`);
    }
  }
  throw refusal ?? new FtpError(`no data connection mode available (${modes.join(', ')})`, 'local');
}

function normalize(address: string | undefined): string | undefined {
  return address ? (toIpv4(address) ?? address) : undefined;
}

