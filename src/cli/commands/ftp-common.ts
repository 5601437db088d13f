// What get and put share: options, client setup from a URL, Ctrl-C, progress bar, --verbose
// logging, the end report (human or JSON) and --require-mptcp. Registers the FTP error classes.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import {
  FtpClient, FtpCredentialsError, FtpError, FtpUrlError, resolveCredentials, summarizeReply, UnsafePartialFileError,
  type FileTransferResult, type FtpObserver, type FtpUrl, type ModeRequest,
} from '../../ftp/index.js';
import type { ConnectionReport } from '../../net/report.js';
import type { TransferConnection } from '../../report/transfer.js';
import { counterDeltas, parseNetstat, type CounterSnapshot } from '../../sys/counters.js';
import type { GlobalOptions } from '../command.js';
import { UsageError, registerKnownError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';

// --json's error code is the failure's kind: 'timeout', 'tls', 'login', 'not-found', 'closed', ...
registerKnownError(FtpError, ExitCode.network, (error) => error.kind);
registerKnownError(FtpUrlError, ExitCode.usage);
registerKnownError(FtpCredentialsError, ExitCode.usage);
registerKnownError(UnsafePartialFileError, ExitCode.usage, () => 'unsafe-partial-file');

export interface FtpCommonOptions {
  continue: boolean;
  user?: string;
  tls: boolean;
  insecure: boolean;
  ca?: string;
  active: boolean;
  mode?: string;
  tcp: boolean;
  'require-mptcp': boolean;
  timeout: number;
  'idle-timeout': number;
  ipv4: boolean;
  ipv6: boolean;
}

export function ftpOptions<T extends GlobalOptions>(y: Argv<T>) {
  return y
    .option('continue', { alias: 'C', type: 'boolean', default: false, describe: 'resume a partial transfer (REST for get, SIZE + APPE for put)' })
    .option('user', { alias: 'u', type: 'string', describe: 'USER[:PASSWORD] (default: URL, ~/.netrc, anonymous)' })
    .option('tls', { type: 'boolean', default: false, describe: 'explicit FTPS (AUTH TLS), as ftpes://' })
    .option('insecure', { alias: 'k', type: 'boolean', default: false, describe: 'do not verify the server certificate' })
    .option('ca', { type: 'string', describe: 'trust the CA certificates in FILE (PEM)' })
    .option('active', { type: 'boolean', default: false, describe: 'active mode: EPRT, then PORT' })
    .option('mode', { choices: ['epsv', 'pasv', 'eprt', 'port'] as const, describe: 'one data connection mode only' })
    .option('tcp', { type: 'boolean', default: false, describe: 'plain TCP sockets (comparisons, benchmarks)' })
    .option('require-mptcp', { type: 'boolean', default: false, describe: 'exit 1 unless every connection stayed MPTCP' })
    .option('timeout', { type: 'number', default: 30, describe: 'connect and reply timeout, seconds' })
    .option('idle-timeout', { type: 'number', default: 60, describe: 'longest data stall, seconds' })
    .option('ipv4', { alias: '4', type: 'boolean', default: false, describe: 'IPv4 only' })
    .option('ipv6', { alias: '6', type: 'boolean', default: false, describe: 'IPv6 only' });
}

export function checkCommonOptions(options: FtpCommonOptions): void {
  for (const name of ['timeout', 'idle-timeout', 'user', 'ca', 'mode'] as const) {
    if (Array.isArray(options[name])) throw new UsageError(`give --${name} once`);
  }
  if (!(options.timeout > 0 && options.timeout <= 3600)) throw new UsageError('--timeout must be 0-3600 seconds');
  if (!(options['idle-timeout'] > 0 && options['idle-timeout'] <= 86_400)) throw new UsageError('--idle-timeout must be 0-86400 seconds');
  if (options.ipv4 && options.ipv6) throw new UsageError('choose one of -4 and -6');
  if (options.active && options.mode && !['eprt', 'port'].includes(options.mode)) throw new UsageError(`--active contradicts --mode ${options.mode}`);
}

/** Ctrl-C aborts the transfer cleanly (sockets closed, .part kept); a second Ctrl-C is Node's default. */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    process.off('SIGINT', onSigint);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

export interface ConnectionLog {
  connections: Array<{ role: 'control' | 'data'; mode?: string; report?: ConnectionReport; reportError?: string }>;
  notes: string[];
}

/**
 * Keeps the password out of server text we print: a server may echo it back ("530 bad password
 * hunter2"). PASS itself is masked by the client; this covers replies, notes and error messages.
 */
export class Scrubber {
  secret: string | undefined;

  scrub(text: string): string {
    if (!this.secret || this.secret.length < 3) return text;
    // Also its JSON-escaped form, for output that is JSON.
    const escaped = JSON.stringify(this.secret).slice(1, -1);
    return text.split(this.secret).join('****').split(escaped).join('****');
  }

  /** The same error with its message scrubbed (FtpError keeps its kind and reply code). */
  error(error: unknown): unknown {
    if (!(error instanceof FtpError) || this.scrub(error.message) === error.message) return error;
    return new FtpError(this.scrub(error.message), error.kind, undefined, { cause: error });
  }
}

/** Observer for get/put: --verbose logging, notes, data reports, progress. */
export function commandObserver(output: Output, verbose: boolean, log: ConnectionLog, progress: (bytes: number) => void, scrubber = new Scrubber()): FtpObserver {
  let dataMode: string | undefined;
  return {
    onCommand(command, reply) {
      if (verbose) output.log(scrubber.scrub(`> ${command}\n< ${summarizeReply(reply)}`));
    },
    onNote(message) {
      log.notes.push(scrubber.scrub(message));
      if (verbose) output.log(`note: ${scrubber.scrub(message)}`);
    },
    onConnection(role, mode, connection) {
      if (role === 'data') dataMode = mode;
      if (verbose) {
        try {
          const report = connection.report();
          output.log(`${role}${mode ? ` (${mode})` : ''} connection: ${report.socket} socket, ${report.state}`);
        } catch {
          // sampling for a log line only
        }
      }
    },
    onDataProgress: progress,
    onDataEnd(result) {
      log.connections.push({ role: 'data', ...(dataMode ? { mode: dataMode } : {}), ...(result.report ? { report: result.report } : {}), ...(result.reportError ? { reportError: result.reportError } : {}) });
    },
  };
}

/** The PEM file of --ca, or a usage error naming it. */
export function readCaFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`--ca ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

export interface OpenedClient {
  client: FtpClient;
  security: 'none' | 'explicit' | 'implicit';
}

export async function openClient(url: FtpUrl, options: GlobalOptions & FtpCommonOptions, observer: FtpObserver, signal: AbortSignal, scrubber?: Scrubber): Promise<OpenedClient> {
  const credentials = resolveCredentials({ host: url.host, urlUser: url.user, urlPassword: url.password, option: options.user });
  if (scrubber && credentials.source !== 'anonymous') scrubber.secret = credentials.password;
  const ca = options.ca ? readCaFile(options.ca) : undefined;
  const security = url.security === 'none' && options.tls ? 'explicit' : url.security;
  const mode: ModeRequest = (options.mode as ModeRequest | undefined) ?? (options.active ? 'active' : 'passive');
  const client = await FtpClient.connect({
    host: url.host,
    port: url.port,
    security,
    tls: { insecure: options.insecure, ...(ca ? { ca } : {}) },
    tcp: options.tcp,
    family: options.ipv4 ? 4 : options.ipv6 ? 6 : undefined,
    connectTimeoutMs: options.timeout * 1000,
    replyTimeoutMs: options.timeout * 1000,
    idleTimeoutMs: options['idle-timeout'] * 1000,
    mode,
    observer,
    signal,
  });
  try {
    await client.login(credentials.user, credentials.password);
  } catch (error) {
    await client.close();
    throw error;
  }
  return { client, security };
}

export interface ProgressBar {
  start(total: number | undefined, offset: number): void;
  update(done: number): void;
  stop(): void;
}

/**
 * A progress bar on a TTY stderr (bytes, rate, ETA); a no-op elsewhere. cli-progress and the
 * renderers load only when a bar is shown: scripts and --json runs skip their start-up cost.
 */
export async function progressBar(output: Output, label: string): Promise<ProgressBar> {
  if (!output.progress) return { start() {}, update() {}, stop() {} };
  const [{ default: cliProgress }, { formatBytes }] = await Promise.all([import('cli-progress'), import('../../report/connection.js')]);
  let bar: InstanceType<typeof cliProgress.SingleBar> | undefined;
  let startedAt = Date.now();
  let base = 0;
  let known = true;
  return {
    start(total, offset) {
      startedAt = Date.now();
      base = offset;
      known = total !== undefined;
      bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
          barsize: 24,
          format: (opts, params, payload: { done: string; rate: string; eta: string }) =>
            `${label} ${known ? cliProgress.Format.BarFormat(params.progress, opts) : ''} ${payload.done} ${payload.rate} ${payload.eta}`,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total ?? 1, offset, { done: formatBytes(offset), rate: '', eta: '' });
    },
    update(done) {
      if (!bar) return;
      const seconds = (Date.now() - startedAt) / 1000;
      const rate = seconds > 0 ? (done - base) / seconds : 0;
      const total = bar.getTotal();
      const eta = known && rate > 0 ? `ETA ${Math.max(0, Math.round((total - done) / rate))} s` : '';
      bar.update(known ? done : 0, { done: formatBytes(done), rate: `${formatBytes(Math.round(rate))}/s`, eta });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** Every connection stayed MPTCP (state 'mptcp' in its last sample). */
export function allMptcp(connections: TransferConnection[]): boolean {
  return connections.length > 0 && connections.every((c) => c.report?.state === 'mptcp');
}

export function mptcpNotes(connections: TransferConnection[]): string[] {
  const notes: string[] = [];
  for (const c of connections) {
    const name = c.role === 'control' ? 'control connection' : `data connection (${c.mode ?? '?'})`;
    if (c.report?.state === 'fallback') notes.push(`${name} fell back to TCP: the server (or a middlebox) did not keep MPTCP`);
    if (c.report?.state === 'tcp') notes.push(`${name} was plain TCP${c.report.socketReasonText ? `: ${c.report.socketReasonText}` : ''}`);
    if (c.report?.state === 'mptcp' && c.report.subflows.total === 1 && (c.mode === 'eprt' || c.mode === 'port')) {
      notes.push(`${name} has one subflow: the server opened it, so extra subflows come only from the server's endpoints`);
    }
  }
  return notes;
}

/** Counters of this network namespace (all its connections, not only ours) around a transfer. */
export interface CounterWindow {
  /** MPTcpExt deltas (non-zero only). */
  mptcp: CounterSnapshot;
  /** The TcpExt receive-window counters that tell a stalled receiver (DESIGN.md section 4). */
  tcp: CounterSnapshot;
}

const WINDOW_COUNTERS = ['TCPToZeroWindowAdv', 'TCPFromZeroWindowAdv', 'TCPWantZeroWindowAdv', 'TCPZeroWindowDrop'];

async function readCounters(): Promise<{ mptcp: CounterSnapshot; tcp: CounterSnapshot } | undefined> {
  try {
    const text = await readFile('/proc/net/netstat', 'utf8');
    return { mptcp: parseNetstat(text, 'MPTcpExt'), tcp: parseNetstat(text, 'TcpExt') };
  } catch {
    return undefined;
  }
}

/** Starts a counter window; end() returns the deltas (undefined where /proc/net/netstat is unreadable). */
export async function startCounters(): Promise<{ end(): Promise<CounterWindow | undefined> }> {
  const before = await readCounters();
  return {
    async end() {
      const after = await readCounters();
      if (!before || !after) return undefined;
      const tcp = counterDeltas(before.tcp, after.tcp);
      return { mptcp: counterDeltas(before.mptcp, after.mptcp), tcp: Object.fromEntries(Object.entries(tcp).filter(([name]) => WINDOW_COUNTERS.includes(name))) };
    },
  };
}

/** A note when the receive window closed or MPTCP probed a zero window during the transfer. */
export function stallNotes(counters: CounterWindow | undefined): string[] {
  if (!counters) return [];
  const closed = counters.tcp.TCPToZeroWindowAdv ?? 0;
  const probes = counters.mptcp.WinProbe ?? 0;
  if (closed === 0 && probes === 0) return [];
  return [
    `the receive window closed ${closed} time${closed === 1 ? '' : 's'}, ${probes} MPTCP window probe${probes === 1 ? '' : 's'} (counters of this network namespace): ` +
      'a receiver that drains slowly (busy CPU, slow disk) stalls its sender',
  ];
}

/** What get and put report after one transfer. */
export interface TransferSession {
  result: FileTransferResult;
  security: OpenedClient['security'];
  /** The control connection (sampled before QUIT) and every data connection (sampled before close). */
  connections: TransferConnection[];
  notes: string[];
  counters: CounterWindow | undefined;
  allMptcp: boolean;
  bytes: number;
  durationMs: number;
}

export interface TransferSessionOptions {
  url: FtpUrl;
  options: GlobalOptions & FtpCommonOptions;
  output: Output;
  /** Progress bar label: 'get' or 'put'. */
  label: string;
  /** The transfer itself, given the logged-in client and the progress bar's start. */
  transfer(client: FtpClient, onStart: (start: { offset: number; size?: number }) => void): Promise<FileTransferResult>;
  /** Note when there was nothing left to move. */
  alreadyComplete: string;
  /** Error message when Ctrl-C interrupted it. */
  interrupted: string;
}

/**
 * One get or put: connect, log in, transfer with a progress bar and Ctrl-C handling, close, and
 * gather the per-connection MPTCP report with the namespace's counter deltas. Errors come back
 * scrubbed of the password; an interrupted transfer keeps what it wrote (the .part, for get).
 */
export async function runTransferSession(session: TransferSessionOptions): Promise<TransferSession> {
  const { url, options, output } = session;
  const log: ConnectionLog = { connections: [], notes: [] };
  const bar = await progressBar(output, session.label);
  let offset = 0;
  const scrubber = new Scrubber();
  const observer = commandObserver(output, options.verbose, log, (bytes) => bar.update(offset + bytes), scrubber);
  const interrupt = interruptSignal();
  let opened: OpenedClient | undefined;
  try {
    const counterWindow = await startCounters();
    opened = await openClient(url, options, observer, interrupt.signal, scrubber);
    const result = await session.transfer(opened.client, ({ offset: start, size }) => {
      offset = start;
      bar.start(size, start);
    });
    bar.stop();
    const control = await opened.client.close();
    const counters = await counterWindow.end();
    const connections: TransferConnection[] = [{ role: 'control', ...control }, ...log.connections];
    const notes = [...log.notes, ...mptcpNotes(connections), ...stallNotes(counters)];
    if (!result.transfer) notes.push(session.alreadyComplete);
    return {
      result,
      security: opened.security,
      connections,
      notes,
      counters,
      allMptcp: allMptcp(connections),
      bytes: result.transfer?.bytes ?? 0,
      durationMs: result.transfer?.durationMs ?? 0,
    };
  } catch (error) {
    bar.stop();
    if (opened && !opened.client.control.closed) opened.client.ctx.close();
    if (interrupt.signal.aborted) throw new FtpError(session.interrupted, 'aborted');
    throw scrubber.error(error);
  } finally {
    interrupt.dispose();
  }
}

/** The JSON fields get/v1 and put/v1 share. */
export interface TransferJsonFields {
  /** Bytes moved by this run. */
  bytes: number;
  /** Size of the file at the end (resume offset + bytes). */
  totalBytes: number;
  offset: number;
  durationMs: number;
  bytesPerSecond: number;
  mode: string | null;
  tls: boolean;
  tcpForced: boolean;
  connections: TransferConnection[];
  allMptcp: boolean;
  ok: boolean;
  notes: string[];
  /** Counter deltas of the client's network namespace over the whole command (null if unreadable). */
  counters: CounterWindow | null;
}

export function transferJsonFields(session: TransferSession, options: FtpCommonOptions): TransferJsonFields {
  const { result, bytes, durationMs } = session;
  return {
    bytes,
    totalBytes: result.totalBytes,
    offset: result.offset,
    durationMs,
    bytesPerSecond: durationMs > 0 ? Math.round((bytes * 1000) / durationMs) : 0,
    mode: result.transfer?.mode ?? null,
    tls: session.security !== 'none',
    tcpForced: options.tcp,
    connections: session.connections,
    allMptcp: session.allMptcp,
    ok: !options['require-mptcp'] || session.allMptcp,
    notes: session.notes,
    counters: session.counters ?? null,
  };
}
