// One control connection: reading bounded lines, a queue for pipelined commands, replies, timers and
// the per-session limits. It knows no FTP command: those live in commands.ts (basic-ftp's split of
// a context that owns sockets and timers from the commands).
import { formatReply, formatReplyBlock } from '../protocol/reply.js';
import type net from 'node:net';
import type tls from 'node:tls';
import { reportConnection, type ConnectionReport } from '../net/report.js';
import type { CounterSnapshot } from '../sys/counters.js';
import type { DigestService } from './digest-cache.js';
import type { HandshakeVerdict } from './handshake-witness.js';
import type { PassiveListener } from './data-channel.js';
import { LineReader, type LineEvent } from './line-reader.js';
import { printable } from '../text/printable.js';
import { makeEvent, redactCommand, type LogLevel, type ServerEvent } from './logger.js';
import type { ServerOptions } from './options.js';
import type { SiteMptcpData } from '../protocol/site-mptcp.js';
import type { SyntheticTree } from './tree.js';

/** Shared by all sessions of one server. */
export interface ServerContext {
  options: ServerOptions;
  tree: SyntheticTree;
  digests: DigestService;
  tlsContext?: tls.SecureContext;
  /** How the control listener was created (set once listening). */
  listener: { socket: 'mptcp' | 'tcp'; reason?: string };
  log(event: ServerEvent): void;
  /** True once the server is stopping: sessions close when their transfer ends. */
  stopping(): boolean;
}

export type CommandHandler = (session: Session, argument: string) => Promise<void> | void;

export interface CommandSpec {
  handler: CommandHandler;
  /** Allowed before login (USER, PASS, AUTH, FEAT, ...). */
  beforeLogin?: boolean;
}

/** A transfer in flight: ABOR, the client leaving and shutdown reach it through `abort`. */
export interface ActiveTransfer {
  command: string;
  /**
   * Still preparing (computing a digest), no data moved yet: QUIT cancels it too, instead of
   * waiting for it (RFC 959 lets a transfer in progress finish before QUIT; this is none yet).
   */
  preparing?: boolean;
  abort(reason: 'abor' | 'shutdown' | 'timeout'): void;
}

/**
 * Replies we let pile up unsent before we stop executing commands: a client that pipelines commands
 * and never reads the replies would otherwise make us buffer them without bound.
 */
const MAX_UNSENT_REPLY_BYTES = 64 * 1024;

export class Session {
  /** Reads and writes commands and replies; a TLSSocket after AUTH TLS. */
  control: net.Socket | tls.TLSSocket;
  readonly raw: net.Socket;
  readonly remoteAddress: string;
  readonly localAddress: string;
  private readonly controlFd: number | undefined;

  user?: string;
  loggedIn = false;
  loginAt?: Date;
  loginCounters?: CounterSnapshot;
  cwd = '/';
  type: 'A' | 'I' = 'A';
  restOffset = 0;
  epsvAll = false;
  tlsActive = false;
  pbszSet = false;
  protection: 'C' | 'P' = 'C';
  passive?: PassiveListener;
  active?: { host: string; port: number };
  transfer?: ActiveTransfer;
  lastData: SiteMptcpData | null = null;

  private reader: LineReader;
  private readonly queue: string[] = [];
  private running = false;
  private paused = false;
  private abortReplyPending = false;
  private garbageLines = 0;
  private consecutiveErrors = 0;
  private closing = false;
  private idleTimer?: NodeJS.Timeout;
  private lineTimer?: NodeJS.Timeout;
  private loginTimer?: NodeJS.Timeout;
  private readonly closeCallbacks: Array<() => void> = [];
  /** Data connections of finished transfers, open until the client closes them (docs/server.md). */
  private readonly finishing = new Set<net.Socket>();

  constructor(
    readonly id: number,
    socket: net.Socket,
    controlFd: number | undefined,
    /** Whether an MP_CAPABLE SYN reached us for this control connection (decided at accept). */
    readonly handshake: HandshakeVerdict,
    readonly context: ServerContext,
    private readonly commands: ReadonlyMap<string, CommandSpec>,
  ) {
    this.raw = socket;
    this.control = socket;
    this.controlFd = controlFd;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.localAddress = socket.localAddress ?? '';
    this.reader = new LineReader(context.options.maxLineBytes);
    socket.setNoDelay(true);
    this.attach(socket);
    socket.once('close', () => this.cleanup());
    this.armIdle();
    this.loginTimer = setTimeout(() => {
      if (!this.loggedIn) this.disconnect(421, 'Login timeout', 'login-timeout');
    }, context.options.loginTimeoutMs);
  }

  get options(): ServerOptions {
    return this.context.options;
  }

  get client(): string {
    return this.remoteAddress;
  }

  log(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
    this.context.log(makeEvent(level, event, { session: this.id, client: this.client, ...fields }));
  }

  onClose(callback: () => void): void {
    this.closeCallbacks.push(callback);
  }

  /** The control connection as the kernel sees it now (undefined once closed). */
  sampleControl(): ConnectionReport | undefined {
    if (this.controlFd === undefined || this.raw.destroyed || this.control.destroyed) return undefined;
    return reportConnection(this.controlFd);
  }

  private attach(stream: net.Socket): void {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (error: Error & { code?: string }) => this.log('debug', 'control-error', { code: error.code, message: error.message }));
  }

  /**
   * AUTH TLS: after the 234 reply the next bytes are the client's ClientHello. Detach our reader
   * from the plain socket first, then hand the socket to TLS.
   */
  startTls(context: tls.SecureContext, upgrade: (socket: net.Socket, context: tls.SecureContext) => tls.TLSSocket): void {
    this.control.removeAllListeners('data');
    this.control.pause();
    // Plaintext that came after AUTH TLS must not run inside the TLS session (STARTTLS command
    // injection, CVE-2011-0411 style): drop queued lines and any partial line.
    this.queue.length = 0;
    this.reader = new LineReader(this.options.maxLineBytes);
    this.clearLineTimer();
    const secure = upgrade(this.control, context);
    this.control = secure;
    this.tlsActive = true;
    this.attach(secure);
    secure.once('close', () => this.cleanup());
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.processEvents(this.reader.push(chunk));
    if (this.reader.hasPartialLine) this.armLineTimer();
    else this.clearLineTimer();
  }

  private processEvents(events: LineEvent[]): void {
    for (const event of events) {
      if (this.closing) return;
      if (event.kind === 'overflow') {
        this.disconnect(500, `Line too long (limit ${this.options.maxLineBytes} bytes); closing`, 'line-too-long');
        return;
      }
      if (event.kind === 'garbage') {
        this.garbageLines += 1;
        this.log('warn', 'garbage', { reason: event.reason, count: this.garbageLines });
        if (this.garbageLines > this.options.maxGarbageLines) {
          this.disconnect(421, 'Too much garbage; closing', 'garbage');
          return;
        }
        this.enqueue('\u0000garbage');
        continue;
      }
      this.armIdle();
      const verb = event.text.trimStart().split(' ', 1)[0]!.toUpperCase();
      // ABOR must reach a transfer in flight; everything else waits its turn (RFC 959 4.1.3).
      if (verb === 'ABOR' && this.transfer) {
        this.log('info', 'command', { command: 'ABOR' });
        this.abortReplyPending = true;
        this.transfer.abort('abor');
        continue;
      }
      // QUIT runs in turn, but a digest still being computed for this client is not worth finishing.
      if (verb === 'QUIT' && this.transfer?.preparing) this.transfer.abort('shutdown');
      this.enqueue(event.text);
    }
  }

  private enqueue(line: string): void {
    this.queue.push(line);
    if (this.queue.length >= this.options.maxPipelined && !this.paused) {
      // Read-ahead is bounded: stop reading until the queue drains (TCP pushes back on the client).
      this.paused = true;
      this.control.pause();
    }
    // Start after the whole chunk is queued: a command that changes the stream (AUTH TLS) must see,
    // and drop, the lines that arrived with it.
    queueMicrotask(() => void this.runQueue());
  }

  private async runQueue(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closing) {
        const line = this.queue.shift()!;
        if (this.paused && this.queue.length < this.options.maxPipelined / 2) {
          this.paused = false;
          this.control.resume();
        }
        if (this.control.writableLength > MAX_UNSENT_REPLY_BYTES) await this.replyDrain();
        if (this.closing) break;
        await this.execute(line);
        if (this.abortReplyPending) {
          this.abortReplyPending = false;
          this.reply(226, 'ABOR successful');
        }
        if (this.context.stopping() && !this.closing) this.disconnect(421, 'Server shutting down', 'shutdown');
      }
    } finally {
      this.running = false;
    }
  }

  private async execute(line: string): Promise<void> {
    if (line === '\u0000garbage') {
      this.reply(500, 'Syntax error: not a command');
      return;
    }
    const trimmed = line.trim();
    const space = trimmed.indexOf(' ');
    const verb = (space === -1 ? trimmed : trimmed.slice(0, space)).toUpperCase();
    const argument = space === -1 ? '' : trimmed.slice(space + 1).trim();
    this.log('info', 'command', { command: redactCommand(verb, argument) });
    if (!/^[A-Z]{3,4}$/.test(verb)) {
      this.reply(500, 'Syntax error: unrecognised command');
      return;
    }
    const spec = this.commands.get(verb);
    if (!spec) {
      this.reply(502, `${verb} not implemented`);
      return;
    }
    if (!spec.beforeLogin && !this.loggedIn) {
      this.reply(530, 'Please log in with USER and PASS');
      return;
    }
    try {
      await spec.handler(this, argument);
    } catch (error) {
      this.log('error', 'command-failed', { command: verb, message: printable(String((error as Error)?.message ?? error)) });
      if (!this.closing) this.reply(451, 'Local error in processing');
    }
  }

  /** Waits until the client has read our replies (or closes it after the idle timeout). */
  private replyDrain(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.control.off('drain', done);
        this.control.off('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        this.disconnect(421, 'Replies not read; closing', 'reply-backlog');
      }, this.options.idleTimeoutMs);
      this.control.once('drain', done);
      this.control.once('close', done);
    });
  }

  /** Sends a reply; a multi-line text becomes "code-" lines and a final "code " line. */
  reply(code: number, text: string): void {
    if (this.control.destroyed || !this.control.writable) return;
    this.control.write(formatReply(code, text));
    this.countReply(code);
  }

  /** Sends raw multi-line text whose continuation lines are indented (FEAT, HELP, MLST). */
  replyBlock(code: number, first: string, lines: string[], last: string): void {
    if (this.control.destroyed || !this.control.writable) return;
    this.control.write(formatReplyBlock(code, first, lines, last));
    this.countReply(code);
  }

  /**
   * Consecutive protocol errors (5xx syntax/sequence/login replies) end the session: a client that
   * keeps sending what no FTP client sends is not an FTP client. "No such file" (550/553/554) does
   * not count: mirroring clients probe names legitimately.
   */
  private countReply(code: number): void {
    if (code < 400) {
      this.consecutiveErrors = 0;
      return;
    }
    if (![500, 501, 502, 503, 504, 530].includes(code)) return;
    this.consecutiveErrors += 1;
    if (this.consecutiveErrors >= this.options.maxConsecutiveErrors && !this.closing) {
      this.disconnect(421, 'Too many errors; closing', 'too-many-errors');
    }
  }

  /** Final reply, then close the control connection (destroyed if the peer does not close). */
  disconnect(code: number, text: string, reason: string): void {
    if (this.closing) return;
    this.log(code === 221 ? 'info' : 'warn', 'closing', { reason });
    if (!this.control.destroyed && this.control.writable) this.control.write(`${code} ${text}\r\n`);
    this.closing = true;
    this.queue.length = 0;
    this.transfer?.abort('shutdown');
    this.control.end();
    setTimeout(() => this.destroy(), 2000).unref();
  }

  destroy(): void {
    this.control.destroy();
    this.raw.destroy();
  }

  /**
   * Keeps a finished transfer's data connection open until the client closes it: everything we
   * wrote, our FIN included, is acknowledged, but closing first while unread input (a TLS
   * close_notify) waits would send a reset. Bounded by the data timeout and by the session.
   */
  closeWhenClientDoes(stream: net.Socket): void {
    if (stream.destroyed) return;
    if (this.cleanedUp) {
      stream.destroy();
      return;
    }
    stream.resume();
    const timer = setTimeout(() => stream.destroy(), this.options.dataTimeoutMs);
    timer.unref();
    this.finishing.add(stream);
    stream.once('close', () => {
      clearTimeout(timer);
      this.finishing.delete(stream);
    });
  }

  get isClosing(): boolean {
    return this.closing;
  }

  get busy(): boolean {
    return this.transfer !== undefined || this.running;
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      // A long transfer is not idleness: look again later.
      if (this.transfer) return this.armIdle();
      this.disconnect(421, 'Idle timeout; closing', 'idle-timeout');
    }, this.options.idleTimeoutMs);
  }

  private armLineTimer(): void {
    if (this.lineTimer) return;
    this.lineTimer = setTimeout(() => {
      this.disconnect(421, 'Command line not completed in time; closing', 'line-timeout');
    }, this.options.lineTimeoutMs);
  }

  private clearLineTimer(): void {
    clearTimeout(this.lineTimer);
    this.lineTimer = undefined;
  }

  private cleanedUp = false;

  private cleanup(): void {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    this.closing = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.loginTimer);
    this.clearLineTimer();
    this.transfer?.abort('shutdown');
    void this.passive?.close();
    this.passive = undefined;
    for (const stream of this.finishing) stream.destroy();
    this.log('info', 'disconnect');
    for (const callback of this.closeCallbacks.splice(0)) callback();
  }

  /** Marks the login done; the login timer stops. */
  loginDone(): void {
    this.loggedIn = true;
    this.loginAt = new Date();
    clearTimeout(this.loginTimer);
  }
}
