// Data connections: passive (we listen, the client connects) and active (PORT/EPRT, we connect back).
// A passive listener is an MPTCP listener and stays open until its data connection ends: extra
// subflows join through MP_JOIN SYNs (RFC 8684 section 3.2) sent to the port the client connected to.
// The listener accepts one data connection, from the control connection's peer only; any other
// connection attempt is closed at once (no data theft by a third party racing the client).
import type net from 'node:net';
import type tls from 'node:tls';
import { randomInt } from 'node:crypto';
import type { BufferSizeRequest } from '../native/socket-factory.js';
import { connectMptcp } from '../net/connect.js';
import { acceptedFd, listenMptcp, type MptcpListener } from '../net/listen.js';
import { reportConnection, type ConnectionReport } from '../net/report.js';
import { readSocketProtocol, type CreatedSocket } from '../native/index.js';
import { sampleDelivery, type DeliverySample } from './delivery.js';
import type { SendTuning } from './send-tuning.js';
import { handshakeWitness, type HandshakeVerdict } from './handshake-witness.js';
import { canonicalAddress } from './limits.js';
import { upgradeToTls } from './tls-layer.js';

export interface DataConnection {
  mode: 'passive' | 'active';
  /** The socket to read and write (TLS on top of `raw` when protected). */
  stream: net.Socket | tls.TLSSocket;
  raw: net.Socket;
  /** For accepted (passive) connections: did an MP_CAPABLE SYN reach us. */
  handshake?: HandshakeVerdict;
  /** What the kernel says about the connection now; undefined once it is closed. */
  sample(): ConnectionReport | undefined;
  /** How far the peer acknowledged what we wrote (docs/server.md); undefined once closed or unknown. */
  delivery(): DeliverySample | undefined;
  /** The first error either layer raised (a TLS failure, a reset), kept to explain a failed transfer. */
  error?: Error;
  /** How a download's socket was set up for sending (send-tuning.ts), for the transfer's log line. */
  sendTuning?: SendTuning;
}

/** Reads the kernel about `fd` while both layers are open: the number may be reused after close. */
function whileOpen<T>(raw: net.Socket, stream: net.Socket, fd: number | undefined, read: (fd: number) => T): () => T | undefined {
  return () => {
    if (fd === undefined || raw.destroyed || stream.destroyed) return undefined;
    try {
      return read(fd);
    } catch {
      return undefined;
    }
  };
}

function makeConnection(
  mode: DataConnection['mode'], raw: net.Socket, stream: net.Socket, fd: number | undefined,
  extra: { handshake?: HandshakeVerdict; created?: CreatedSocket },
): DataConnection {
  const connection: DataConnection = {
    mode,
    stream,
    raw,
    ...(extra.handshake ? { handshake: extra.handshake } : {}),
    sample: whileOpen(raw, stream, fd, (open) => reportConnection(open, extra.created)),
    delivery: whileOpen(raw, stream, fd, sampleDelivery),
  };
  // Our side ends when the transfer says so, not as soon as the client's side ends: ending a TLS
  // socket from inside the read that delivered the client's close_notify loses our close_notify
  // when TLS 1.3 session tickets are still being written (Node 20, OpenSSL 3: the client then sees
  // EOF "in violation of protocol"; see receiveUpload).
  raw.allowHalfOpen = true;
  stream.allowHalfOpen = true;
  const keep = (error: Error) => {
    connection.error ??= error;
  };
  raw.on('error', keep);
  if (stream !== raw) stream.on('error', keep);
  return connection;
}

export interface PassiveOptions {
  bindAddress: string;
  portRange?: { first: number; last: number };
  allowedPeer: string;
  tcp: boolean;
  bufferSizes?: BufferSizeRequest;
  /** Set when data connections must be TLS (PROT P); read at accept time. */
  tlsContext: () => tls.SecureContext | undefined;
  onRefused?: (peer: string) => void;
}

export class PassiveListener {
  private connection?: DataConnection;
  /** Set once a transfer took the connection: from then on the transfer closes it. */
  private taken = false;
  private waiters: Array<(connection: DataConnection) => void> = [];
  private closed = false;

  private constructor(private readonly listener: MptcpListener, private readonly options: PassiveOptions) {
    listener.server.on('connection', (socket) => this.onConnection(socket));
    listener.server.on('error', () => undefined);
  }

  static async open(options: PassiveOptions): Promise<PassiveListener> {
    const range = options.portRange;
    const listen = (port: number) =>
      listenMptcp({ host: options.bindAddress, port, backlog: 8, tcp: options.tcp, bufferSizes: options.bufferSizes });
    if (!range) return new PassiveListener(await listen(0), options);
    // Start at a random port of the range so consecutive sessions do not queue on the same port.
    const span = range.last - range.first + 1;
    const start = randomInt(span);
    let lastError: unknown;
    for (let i = 0; i < Math.min(span, 100); i += 1) {
      const port = range.first + ((start + i) % span);
      try {
        return new PassiveListener(await listen(port), options);
      } catch (error) {
        lastError = error;
        if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
      }
    }
    throw lastError;
  }

  get port(): number {
    return this.listener.port;
  }

  get socketKind(): 'mptcp' | 'tcp' {
    return this.listener.created.socket;
  }

  private onConnection(raw: net.Socket): void {
    raw.on('error', () => undefined);
    const fd = acceptedFd(raw);
    const handshake = handshakeWitness.observe(fd === undefined ? undefined : readSocketProtocol(fd), this.socketKind);
    const peer = canonicalAddress(raw.remoteAddress);
    if (this.closed || this.connection || peer !== this.options.allowedPeer) {
      this.options.onRefused?.(peer);
      raw.destroy();
      return;
    }
    const context = this.options.tlsContext();
    // Wrap at once: the client may send its ClientHello before our 150 reply.
    const stream = context ? upgradeToTls(raw, context) : raw;
    stream.on('error', () => undefined);
    const connection = makeConnection('passive', raw, stream, fd, { handshake });
    this.connection = connection;
    // The listener lives as long as the data connection, so MP_JOINs can reach it.
    stream.once('close', () => void this.close());
    for (const waiter of this.waiters.splice(0)) waiter(connection);
  }

  /** The data connection, once the client opens it; rejects after `timeoutMs`. */
  accepted(timeoutMs: number, signal?: AbortSignal): Promise<DataConnection> {
    if (this.connection) {
      this.taken = true;
      return Promise.resolve(this.connection);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no data connection within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      const onAbort = () => finish(new Error('aborted'));
      const waiter = (connection: DataConnection) => {
        this.taken = true;
        finish(undefined, connection);
      };
      const finish = (error?: Error, connection?: DataConnection) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        if (connection) resolve(connection);
        else reject(error);
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** True once a data connection was accepted (a second transfer needs a new PASV/EPSV). */
  get used(): boolean {
    return this.connection !== undefined;
  }

  /**
   * Stops listening. A data connection nobody used is closed with it; one a transfer took is left to
   * the transfer. Does not wait for connections (net.Server.close would).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.connection && !this.taken) this.connection.stream.destroy();
    this.listener.server.close();
  }
}

export interface ActiveOptions {
  host: string;
  port: number;
  /** Our side of the control connection: data leaves from the same address. */
  localAddress?: string;
  tcp: boolean;
  bufferSizes?: BufferSizeRequest;
  timeoutMs: number;
  tlsContext?: tls.SecureContext;
  signal?: AbortSignal;
}

export async function connectActive(options: ActiveOptions): Promise<DataConnection> {
  const connection = await connectMptcp({
    host: options.host,
    port: options.port,
    localAddress: options.localAddress,
    tcp: options.tcp,
    bufferSizes: options.bufferSizes,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  const raw = connection.socket;
  raw.on('error', () => undefined);
  const stream = options.tlsContext ? upgradeToTls(raw, options.tlsContext) : raw;
  stream.on('error', () => undefined);
  return makeConnection('active', raw, stream, connection.fd, { created: connection.created });
}
