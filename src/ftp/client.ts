// FTP client commands over the control context: connect (plain, explicit or implicit FTPS), login,
// SIZE, download, upload and any raw command. Every connection it makes is announced to the
// observer as it is made, so probe can sample MPTCP state at each step.
import type net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import tls from 'node:tls';
import type { BufferSizeRequest } from '../native/socket-factory.js';
import { connectMptcp, type ConnectOptions, type MptcpConnection } from '../net/connect.js';
import { listenMptcp, type ListenOptions, type MptcpListener } from '../net/listen.js';
import type { ConnectionReport } from '../net/report.js';
import { makeHandle, type ConnectionRole, type DataMode, type FtpConnectionHandle } from './connection-handle.js';
import { FtpContext } from './context.js';
import { holdDataSocket } from './data-socket.js';
import { openDataChannel, type DataChannel, type DataEnvironment } from './data-strategies.js';
import { receiveInto, receiveIntoFile, sampleBeforeClose, sendFileFrom, sendFrom, type StreamResult } from './data-stream.js';
import { FileSink } from './file-sink.js';
import { FileSource } from './file-source.js';
import { FtpError } from './errors.js';
import { summarizeReply, type FtpReply } from './reply-parser.js';
import { maskCommand, parseFeatReply, parseSizeReply, parseTransferSize } from './reply-values.js';
import { startTls, type TlsClient } from './tls-client.js';

export type FtpSecurity = 'none' | 'explicit' | 'implicit';
/** 'passive' = EPSV then PASV when EPSV is refused; 'active' = EPRT then PORT. */
export type ModeRequest = 'passive' | 'active' | DataMode;

export interface FtpObserver {
  /** A connection was just made (control after connect; data when connected or accepted). */
  onConnection?(role: ConnectionRole, mode: DataMode | undefined, connection: FtpConnectionHandle): void;
  /** A command (password masked) and its first reply; runs before the client acts on the reply. */
  onCommand?(command: string, reply: FtpReply): void;
  /** Every reply, the greeting and final transfer replies included. */
  onReply?(reply: FtpReply): void;
  /** Something the user may want to know (--verbose): PASV address replaced, mode fallback. */
  onNote?(message: string): void;
  onDataStart?(info: { direction: 'download' | 'upload'; mode: DataMode; connection: FtpConnectionHandle; announcedSize?: number }): void;
  /** Cumulative bytes of the current transfer (at most every 200 ms). */
  onDataProgress?(bytes: number): void;
  /** The data connection's report, sampled just before it closed. */
  onDataEnd?(result: { bytes: number; report?: ConnectionReport; reportError?: string }): void;
}

export interface TlsSettings {
  /** Skip certificate verification (--insecure). */
  insecure?: boolean;
  /** Extra trusted CA certificates, PEM (--ca FILE). */
  ca?: string | Buffer;
  /** Name to verify; defaults to the host when it is a name. */
  servername?: string;
}

export interface FtpClientOptions {
  host: string;
  port: number;
  security?: FtpSecurity;
  tls?: TlsSettings;
  /** Plain TCP sockets on purpose (--tcp). */
  tcp?: boolean;
  family?: 4 | 6;
  connectTimeoutMs?: number;
  replyTimeoutMs?: number;
  /** Longest time a data connection may stay idle (default 60 s). */
  idleTimeoutMs?: number;
  /** SO_RCVBUF/SO_SNDBUF for data sockets (default 4 MiB each). */
  dataBufferSizes?: BufferSizeRequest;
  mode?: ModeRequest;
  observer?: FtpObserver;
  signal?: AbortSignal;
  /** Injectable socket factories (tests); default src/net. */
  connect?: (options: ConnectOptions) => Promise<MptcpConnection>;
  listen?: (options: ListenOptions, onConnection?: (socket: net.Socket) => void) => Promise<MptcpListener>;
}

export interface TransferResult {
  direction: 'download' | 'upload';
  mode: DataMode;
  /** Bytes moved over the data connection (not counting a resume offset). */
  bytes: number;
  durationMs: number;
  /** From the 150 reply "(N bytes)" when the server said. */
  announcedSize?: number;
  data: { report?: ConnectionReport; reportError?: string };
  finalReply: FtpReply;
}

export const DEFAULT_DATA_BUFFER_BYTES = 4 * 1024 * 1024;

function modesFor(request: ModeRequest): DataMode[] {
  if (request === 'passive') return ['epsv', 'pasv'];
  if (request === 'active') return ['eprt', 'port'];
  return [request];
}

export class FtpClient {
  readonly ctx: FtpContext;
  readonly control: FtpConnectionHandle;
  readonly greeting: FtpReply;
  features = new Map<string, string>();
  private modes: DataMode[];
  private protectedData = false;
  private readonly observer: FtpObserver;
  /** Cleanup registered by connect(). */
  private onClose: (() => void) | undefined;

  private constructor(private readonly options: FtpClientOptions, ctx: FtpContext, greeting: FtpReply) {
    this.ctx = ctx;
    this.greeting = greeting;
    this.observer = options.observer ?? {};
    this.control = makeHandle('control', undefined, ctx.connection.socket, ctx.connection.fd, ctx.connection.created);
    this.modes = modesFor(options.mode ?? 'passive');
  }

  /** Connects, reads the greeting and, for FTPS, secures the control connection. */
  static async connect(options: FtpClientOptions): Promise<FtpClient> {
    const connect = options.connect ?? connectMptcp;
    const observer = options.observer ?? {};
    const connection = await connect({
      host: options.host,
      port: options.port,
      family: options.family,
      tcp: options.tcp,
      timeoutMs: options.connectTimeoutMs,
      signal: options.signal,
    });
    connection.socket.on('error', () => undefined); // the context reports errors; avoid unhandled 'error'
    const ctx = new FtpContext(connection, { replyTimeoutMs: options.replyTimeoutMs, onReply: (reply) => observer.onReply?.(reply) });
    const early = makeHandle('control', undefined, connection.socket, connection.fd, connection.created);
    observer.onConnection?.('control', undefined, early);
    const abort = () => ctx.close();
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      if (options.security === 'implicit') await ctx.upgradeTls(tlsOptions(options));
      const greeting = await ctx.reply();
      if (greeting.code === 120) {
        // "Service ready in nnn minutes": wait for the real greeting (still bounded).
        const next = await ctx.reply();
        if (next.code >= 400) throw new FtpError(`server refused the connection: ${summarizeReply(next)}`, 'reply', next);
      } else if (greeting.code >= 400 || greeting.code < 200) {
        throw new FtpError(`server refused the connection: ${summarizeReply(greeting)}`, 'reply', greeting);
      }
      const client = new FtpClient(options, ctx, greeting);
      if (options.security === 'explicit') {
        const reply = await client.command('AUTH TLS');
        if (reply.code !== 234) throw new FtpError(`server does not offer explicit FTPS: AUTH TLS answered ${summarizeReply(reply)}`, 'tls', reply);
        await ctx.upgradeTls(tlsOptions(options));
      }
      // The listener stays for the client's life: Ctrl-C during login or a command ends the wait
      // at once (the context rejects it) instead of after the reply timeout.
      client.onClose = () => options.signal?.removeEventListener('abort', abort);
      return client;
    } catch (error) {
      options.signal?.removeEventListener('abort', abort);
      ctx.close();
      if (options.signal?.aborted) throw new FtpError('interrupted', 'aborted');
      throw error;
    }
  }

  get secure(): boolean {
    return this.ctx.secure;
  }

  /** Sends one command and returns its first reply, telling the observer. */
  async command(line: string, timeoutMs?: number): Promise<FtpReply> {
    const reply = await this.ctx.request(line, timeoutMs);
    this.observer.onCommand?.(maskCommand(line), reply);
    return reply;
  }

  /** Any command (SITE MPTCP, NOOP, ...): waits past 1xx replies for the final one. */
  async sendCommand(line: string): Promise<FtpReply> {
    let reply = await this.command(line);
    while (reply.code < 200) reply = await this.ctx.reply();
    return reply;
  }

  /** USER/PASS, then PBSZ 0 + PROT P under TLS, FEAT and TYPE I. */
  async login(user: string, password: string): Promise<void> {
    let reply = await this.command(`USER ${user}`);
    if (reply.code === 331) reply = await this.command(`PASS ${password}`);
    if (reply.code === 332) throw new FtpError('login failed: the server asks for an account (ACCT), which is not supported', 'login', reply);
    if (reply.code !== 230 && reply.code !== 202) {
      throw new FtpError(`login failed: ${summarizeReply(reply)}`, reply.code === 530 ? 'login' : 'reply', reply);
    }
    if (this.secure) {
      const pbsz = await this.command('PBSZ 0');
      const prot = pbsz.code < 300 ? await this.command('PROT P') : pbsz;
      if (prot.code >= 300) throw new FtpError(`server refused protected data connections: ${summarizeReply(prot)}`, 'tls', prot);
      this.protectedData = true;
    }
    const feat = await this.command('FEAT');
    if (feat.code === 211) this.features = parseFeatReply(feat.lines);
    const type = await this.command('TYPE I');
    if (type.code >= 300) throw new FtpError(`server refused binary mode: ${summarizeReply(type)}`, 'reply', type);
  }

  /** SIZE (RFC 3659); undefined when the server does not know or does not say. */
  async size(path: string): Promise<number | undefined> {
    const reply = await this.command(`SIZE ${path}`);
    if (reply.code !== 213) return undefined;
    return parseSizeReply(reply.message);
  }

  /**
   * RETR `path` into `sink` from `offset` (REST). A Writable is written, not ended. A FileSink on a
   * plain passive connection is fed by the socket directly (the fast path for big files).
   */
  async download(path: string, sink: Writable | FileSink, options: { offset?: number } = {}): Promise<TransferResult> {
    const fileSink = sink instanceof FileSink ? sink : undefined;
    const direct = fileSink && !this.protectedData ? fileSink : undefined;
    return this.transfer('download', async (channel) => {
      if (options.offset) await this.expect(`REST ${options.offset}`, 350, 'server cannot resume (REST)');
      return this.startTransfer(`RETR ${path}`, channel, 'download');
    }, (handle, stream, opts) => receiveInto(handle, stream, fileSink ? fileSink.writable() : (sink as Writable), opts),
    direct && { onread: direct.onread, receive: (handle, opts) => receiveIntoFile(handle, direct, opts) });
  }

  /** STOR (or APPE with `append`) `path` from `source` (a FileSource sends without allocating per read). */
  async upload(path: string, source: Readable | FileSource, options: { append?: boolean } = {}): Promise<TransferResult> {
    return this.transfer('upload', (channel) => this.startTransfer(`${options.append ? 'APPE' : 'STOR'} ${path}`, channel, 'upload'),
      (handle, stream, opts) => (source instanceof FileSource ? sendFileFrom(handle, stream, source, opts) : sendFrom(handle, stream, source, opts)));
  }

  /** Report of the control connection now; throws once it is closed. */
  reportControl(): ConnectionReport {
    return this.control.report();
  }

  /** Samples the control connection, sends QUIT, closes. Returns the sample (taken before close). */
  async close(): Promise<{ report?: ConnectionReport; reportError?: string }> {
    const sampled = this.control.closed ? { reportError: 'control connection already closed' } : sampleBeforeClose(this.control);
    if (!this.ctx.error) {
      // A polite QUIT, briefly: the server may already be gone, and the report is taken.
      await this.command('QUIT', 2000).catch(() => undefined);
    }
    this.ctx.close();
    this.onClose?.();
    return sampled;
  }

  private async expect(line: string, code: number, what: string): Promise<FtpReply> {
    const reply = await this.command(line);
    if (reply.code !== code) throw new FtpError(`${what}: ${summarizeReply(reply)}`, 'reply', reply);
    return reply;
  }

  private environment(): DataEnvironment {
    const buffers = this.options.dataBufferSizes ?? { receive: DEFAULT_DATA_BUFFER_BYTES, send: DEFAULT_DATA_BUFFER_BYTES };
    return {
      ctx: this.ctx,
      tcp: this.options.tcp ?? false,
      bufferSizes: buffers,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
      signal: this.options.signal,
      onCommand: (command, reply) => this.observer.onCommand?.(command, reply),
      onNote: (message) => this.observer.onNote?.(message),
      connect: this.options.connect ?? connectMptcp,
      listen: this.options.listen ?? listenMptcp,
    };
  }

  /** Sends RETR/STOR/APPE and checks for 125/150 (a 4xx/5xx is mapped to a clear error). */
  private async startTransfer(line: string, _channel: DataChannel, direction: 'download' | 'upload'): Promise<FtpReply> {
    const reply = await this.command(line);
    if (reply.code === 125 || reply.code === 150) return reply;
    const what = direction === 'download' ? 'download' : 'upload';
    if (reply.code === 550 && direction === 'download') throw new FtpError(`no such file or not readable: ${summarizeReply(reply)}`, 'not-found', reply);
    if ((reply.code === 550 || reply.code === 553 || reply.code === 532) && direction === 'upload') {
      throw new FtpError(`permission denied: ${summarizeReply(reply)}`, 'permission', reply);
    }
    if (reply.code === 530) throw new FtpError(`${what} refused, not logged in: ${summarizeReply(reply)}`, 'login', reply);
    throw new FtpError(`${what} refused: ${summarizeReply(reply)}`, 'reply', reply);
  }

  private async transfer(
    direction: 'download' | 'upload',
    start: (channel: DataChannel) => Promise<FtpReply>,
    move: (handle: FtpConnectionHandle, stream: net.Socket | tls.TLSSocket, options: Parameters<typeof receiveInto>[3], mode: DataMode) => Promise<StreamResult>,
    /** Passive downloads into a FileSink: the socket reads into the sink from its first byte. */
    direct?: { onread: net.OnReadOpts; receive(handle: FtpConnectionHandle, options: Parameters<typeof receiveInto>[3]) : Promise<StreamResult> },
  ): Promise<TransferResult> {
    const channel = await openDataChannel({
      ...this.environment(),
      ...(direct ? { onread: direct.onread } : {}),
      ...(this.protectedData ? { protect: (socket: net.Socket) => this.secureData(socket) } : {}),
    }, this.modes);
    const streamOptions = {
      idleTimeoutMs: this.options.idleTimeoutMs ?? 60_000,
      signal: this.options.signal,
      onProgress: (bytes: number) => this.observer.onDataProgress?.(bytes),
    };
    let early: Promise<StreamResult> | undefined;
    // Remember what worked, as curl does, so later transfers skip the refused mode.
    this.modes = this.modes.slice(this.modes.indexOf(channel.mode));
    const started = Date.now();
    try {
      let passive: FtpConnectionHandle | undefined;
      if (channel.mode === 'epsv' || channel.mode === 'pasv') {
        passive = await channel.ready(0);
        if (direct) {
          // Bytes (and the end of data) may come before RETR's reply: listen from now on.
          early = direct.receive(passive, streamOptions);
          early.catch(() => undefined);
        }
        this.observer.onConnection?.('data', channel.mode, passive);
      }
      const preliminary = await start(channel);
      const handle = passive ?? (await this.acceptData(channel));
      if (!passive) this.observer.onConnection?.('data', channel.mode, handle);
      // Under PROT P, TLS started the instant the connection existed (passive: the client hello
      // waits in the socket until the server reads it after RETR; a server may also finish the
      // handshake at once, before its 150): startTls kept the outcome, however early it came.
      const secureData = channel.tls;
      if (secureData) await secureData.secured(this.ctx.replyTimeoutMs);
      const announcedSize = parseTransferSize(preliminary.message);
      this.observer.onDataStart?.({ direction, mode: channel.mode, connection: handle, ...(announcedSize !== undefined ? { announcedSize } : {}) });
      // A final reply arriving while we still drain the data waits in the context's queue.
      const moved = await (early ?? move(handle, secureData?.socket ?? handle.socket, streamOptions, channel.mode));
      this.observer.onDataEnd?.(moved);
      const final = await this.ctx.reply();
      this.observer.onCommand?.('(end of transfer)', final);
      const durationMs = Date.now() - started;
      if (final.code >= 300) throw new FtpError(`${direction} failed: ${summarizeReply(final)}`, 'reply', final);
      return {
        direction,
        mode: channel.mode,
        bytes: moved.bytes,
        durationMs,
        ...(announcedSize !== undefined ? { announcedSize } : {}),
        data: { report: moved.report, reportError: moved.reportError },
        finalReply: final,
      };
    } finally {
      channel.close();
    }
  }

  /**
   * Active mode: waits for the server's data connection, bounded, but gives up at once when the
   * server says it cannot connect (150 then 425) or the control connection fails.
   */
  private async acceptData(channel: DataChannel): Promise<FtpConnectionHandle> {
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const watch = this.ctx.whenQueued();
      const accepted = channel.ready(Math.max(1, deadline - Date.now()));
      try {
        const winner = await Promise.race([accepted, watch.promise.then(() => undefined)]);
        if (winner) return winner;
      } finally {
        watch.cancel();
        accepted.catch(() => undefined);
      }
      if (this.ctx.error) throw this.ctx.error;
      const reply = this.ctx.peek();
      if (reply && reply.code >= 400) {
        await this.ctx.reply();
        this.observer.onCommand?.('(waiting for the data connection)', reply);
        throw new FtpError(`the server could not open the data connection: ${summarizeReply(reply)}`, 'reply', reply);
      }
      if (reply) return accepted; // a positive reply (226 for an empty file) before the accept: keep waiting
    }
  }

  /** TLS on a data connection (PROT P), resuming the control connection's session (vsftpd's require_ssl_reuse). */
  private secureData(socket: net.Socket): TlsClient {
    const client = startTls({ ...tlsOptions(this.options), socket, session: this.ctx.tlsSession }, 'data connection');
    // Held like the raw socket: an end or error before the reader attaches is kept, not missed.
    holdDataSocket(client.socket);
    return client;
  }
}

function tlsOptions(options: FtpClientOptions): tls.ConnectionOptions {
  const settings = options.tls ?? {};
  const servername = settings.servername ?? (isIpLiteral(options.host) ? undefined : options.host);
  return {
    rejectUnauthorized: !settings.insecure,
    ...(settings.ca ? { ca: settings.ca } : {}),
    ...(servername ? { servername } : {}),
    // Verification against the name the user typed, also when we connect to a literal address.
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(options.host, cert),
  };
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
