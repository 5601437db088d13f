// The control context (basic-ftp's FtpContext; docs/architecture.md, "House style"): owns the control socket (plain
// or TLS on top of our MPTCP socket), the reply parser, every control-channel timeout, and the one
// reply wait in flight. It knows no FTP command beyond sending a line and waiting for a reply.
import type net from 'node:net';
import tls from 'node:tls';
import type { MptcpConnection } from '../net/connect.js';
import { FtpError, FtpProtocolError } from './errors.js';
import { ReplyParser, type FtpReply, type ReplyParserOptions } from './reply-parser.js';
import { maskCommand } from './reply-values.js';
import { startTls } from './tls-client.js';

export interface ContextOptions extends ReplyParserOptions {
  /** Longest wait for one reply (default 30 s). */
  replyTimeoutMs?: number;
  /** Every line sent (password masked) and every reply received. */
  onSend?(line: string): void;
  onReply?(reply: FtpReply): void;
}

export const DEFAULT_REPLY_TIMEOUT_MS = 30_000;

interface Waiter {
  resolve(reply: FtpReply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class FtpContext {
  readonly connection: MptcpConnection;
  readonly replyTimeoutMs: number;
  private stream: net.Socket | tls.TLSSocket;
  private readonly parser: ReplyParser;
  private readonly queue: FtpReply[] = [];
  private waiter: Waiter | undefined;
  private failure: Error | undefined;
  private readonly queuedListeners = new Set<() => void>();
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onEnd = () => this.fail(this.closedError());
  private readonly onError = (error: Error) => this.fail(new FtpError(`control connection: ${error.message}`, 'closed', undefined, { cause: error }));
  /** Latest TLS session of the control connection, for data connections (vsftpd require_ssl_reuse). */
  tlsSession: Buffer | undefined;

  constructor(connection: MptcpConnection, private readonly options: ContextOptions = {}) {
    this.connection = connection;
    this.replyTimeoutMs = options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS;
    this.parser = new ReplyParser(options);
    this.stream = connection.socket;
    // Keep our side open after the server's FIN so the fd can still be sampled for the report.
    connection.socket.allowHalfOpen = true;
    this.attach(this.stream);
  }

  /** The stream carrying FTP commands (the TLS socket once upgraded). */
  get socket(): net.Socket | tls.TLSSocket {
    return this.stream;
  }

  get secure(): boolean {
    return this.stream instanceof tls.TLSSocket;
  }

  /** Set once the control connection has failed or closed; later calls rethrow it. */
  get error(): Error | undefined {
    return this.failure;
  }

  send(line: string): void {
    if (this.failure) throw this.failure;
    if (/[\r\n]/.test(line)) throw new FtpError('refusing to send a command containing CR or LF', 'local');
    this.options.onSend?.(maskCommand(line));
    this.stream.write(`${line}\r\n`);
  }

  /** The next reply (a queued one first), within `timeoutMs`. Only one wait may be in flight. */
  reply(timeoutMs = this.replyTimeoutMs): Promise<FtpReply> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new Error('FtpContext: a reply wait is already in flight'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new FtpError(`no reply from the server within ${Math.round(timeoutMs / 1000)} s`, 'timeout'));
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }

  /** The oldest reply nobody has asked for yet, without taking it. */
  peek(): FtpReply | undefined {
    return this.queue[0];
  }

  /**
   * Resolves (never rejects) once a reply is queued or the connection fails, without consuming
   * anything: lets a caller race another wait (an active-mode accept) against the server's word.
   */
  whenQueued(): { promise: Promise<void>; cancel(): void } {
    let listener: (() => void) | undefined;
    const promise = new Promise<void>((resolve) => {
      listener = resolve;
      if (this.queue.length > 0 || this.failure) resolve();
      else this.queuedListeners.add(resolve);
    });
    return { promise, cancel: () => listener && this.queuedListeners.delete(listener) };
  }

  /** Sends a command and returns its first reply (which may be a 1xx preliminary one). */
  async request(line: string, timeoutMs?: number): Promise<FtpReply> {
    if (this.queue.length > 0) {
      // Replies nobody asked for (a late 226, a server's chatter) would shift every answer by one.
      this.queue.length = 0;
    }
    this.send(line);
    return this.reply(timeoutMs);
  }

  /**
   * Starts TLS on the control connection (explicit FTPS after 234, or implicit FTPS right after
   * connect). TLS runs over our MPTCP socket: tls.connect({ socket }).
   */
  async upgradeTls(options: tls.ConnectionOptions, timeoutMs = this.replyTimeoutMs): Promise<void> {
    if (this.failure) throw this.failure;
    this.detach(this.stream);
    const client = startTls({ ...options, socket: this.connection.socket }, 'control connection');
    client.socket.on('session', (session: Buffer) => {
      this.tlsSession = session;
    });
    await client.secured(timeoutMs);
    this.stream = client.socket;
    this.attach(client.socket);
  }

  /** Destroys the control connection (sample its report before calling this). */
  close(): void {
    this.fail(new FtpError('control connection closed', 'closed'));
    this.stream.destroy();
    this.connection.socket.destroy();
  }

  private attach(stream: net.Socket | tls.TLSSocket): void {
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('error', this.onError);
  }

  private detach(stream: net.Socket | tls.TLSSocket): void {
    stream.off('data', this.onData);
    stream.off('end', this.onEnd);
    stream.off('error', this.onError);
  }

  private receive(chunk: Buffer): void {
    let replies: FtpReply[];
    try {
      replies = this.parser.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      this.stream.destroy();
      return;
    }
    for (const reply of replies) {
      this.options.onReply?.(reply);
      const waiter = this.waiter;
      if (waiter) {
        this.waiter = undefined;
        clearTimeout(waiter.timer);
        waiter.resolve(reply);
      } else {
        this.queue.push(reply);
        this.notifyQueued();
      }
    }
  }

  private notifyQueued(): void {
    const listeners = [...this.queuedListeners];
    this.queuedListeners.clear();
    listeners.forEach((listener) => listener());
  }

  private closedError(): Error {
    return this.parser.pending
      ? new FtpProtocolError('server closed the control connection in the middle of a reply')
      : new FtpError('server closed the control connection', 'closed');
  }

  private fail(error: Error): void {
    if (!this.failure) this.failure = error;
    this.notifyQueued();
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      clearTimeout(waiter.timer);
      waiter.reject(this.failure);
    }
  }
}
