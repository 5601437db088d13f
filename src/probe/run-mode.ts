// One probe run: log in, transfer in one data mode while sampling every connection, ask the far end
// what it saw (SITE MPTCP, when it is mptcp-doctor serve), and judge the evidence.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { FtpClient, type FtpSecurity, type TlsSettings } from '../ftp/index.js';
import { FtpError } from '../ftp/errors.js';
import type { ConnectionReport } from '../net/report.js';
import { probeSegments } from '../server/probe-stream.js';
import { parseSiteMptcpReply, type SiteMptcpConnection, type SiteMptcpView } from '../server/site-mptcp.js';
import { formatSize } from '../server/size.js';
import type { CounterSnapshot } from '../sys/counters.js';
import { readMptcpSysctl } from '../sys/mptcp-sysctl.js';
import { EXPLAINS_A_FAILED_TRANSFER } from './causes.js';
import { ConnectionTracker, type TrackedConnection } from './connection-tracker.js';
import { CounterWatch } from './counter-watch.js';
import type { ConnectionEvidence, ConnectionSample, ProbeEvidence, ProbeMode, ReplyAnomaly, ServerConnectionView } from './evidence.js';
import { expectedSubflows, type PathManagerView } from './expected-subflows.js';
import { HashSink, SmallSink } from './hash-sink.js';
import { judgeProbe, type Verdict, type VerdictCause, type VerdictStatus } from './verdict.js';

export interface ProbeTarget {
  host: string;
  port: number;
  /** Path of a file to download, or undefined to probe /probe/<size> of mptcp-doctor serve. */
  path?: string;
  user: string;
  password: string;
  security: FtpSecurity;
  tls?: TlsSettings;
  tcp?: boolean;
  family?: 4 | 6;
}

export interface RunModeOptions {
  target: ProbeTarget;
  mode: ProbeMode;
  /** Bytes of /probe/<size> (serve only). */
  size: number;
  upload: boolean;
  timeoutMs: number;
  /** The local endpoints and limits; a promise is awaited only when the run is judged. */
  pathManager: PathManagerView | Promise<PathManagerView>;
  signal?: AbortSignal;
  /** Milliseconds between samples during a transfer. */
  sampleIntervalMs?: number;
  /**
   * What the caller already knows of the far end: it is mptcp-doctor serve (no need to ask), and how
   * to get a probe file's digest without downloading its .sha256 (the in-process self-test).
   */
  farEnd?: { serve: true; digest?: (path: string) => Promise<string | undefined> };
}

export interface ProbeTransfer {
  direction: 'download' | 'upload';
  path: string;
  bytes: number;
  seconds: number;
  sha256?: string;
  expectedSha256?: string;
  /** true/false when an expected digest was known, null otherwise. */
  matched: boolean | null;
  /** Why `matched` is null: the transfer was not verified, and the user must be told. */
  notVerified?: string;
  error?: string;
}

export interface ProbeConnection {
  role: 'control' | 'data';
  mode: ProbeMode;
  purpose: 'control' | 'transfer' | 'checksum' | 'upload';
  status: VerdictStatus;
  cause: VerdictCause;
  evidence: string[];
  advice: string[];
  socket: 'mptcp' | 'tcp';
  socketReason?: string;
  expectedSubflows: number;
  durationMs: number;
  samples: ConnectionSample[];
  /** The last report before close: subflows with addresses and bytes. */
  final?: ConnectionReport;
  /** The far end's own view, when it is mptcp-doctor serve. */
  server?: SiteMptcpConnection;
}

export interface ProbeRun {
  mode: ProbeMode;
  verdict: Verdict;
  connections: ProbeConnection[];
  transfers: ProbeTransfer[];
  /**
   * MPTcpExt deltas. `client`: until the client gave up (or the end of the work), the evidence;
   * `clientAfterGiveUp`: what our own teardown and the far end's reaction added, never judged.
   */
  counters: { client: CounterSnapshot; clientAfterGiveUp?: CounterSnapshot; server?: CounterSnapshot };
  anomalies: ReplyAnomaly[];
  server: { kind: 'serve' | 'other'; greeting?: string };
  notes: string[];
  /** Why the run stopped early, if it did. */
  error?: { message: string; kind: string; stage: 'connect' | 'login' | 'transfer' };
  /** When the client gave up on a connection (its own timeout, an interruption), and why. */
  gaveUp?: { atMs: number; reason: string };
  /**
   * 'could-not-run': the run failed for a reason no MPTCP evidence explains (TLS, a timeout with
   * MPTCP intact, a refused command): the probe says so instead of blaming MPTCP or the path.
   */
  outcome: 'judged' | 'could-not-run';
}

/** Raised when the probe cannot run at all (no server, login refused): exit 4, not a verdict. */
export class ProbeCannotRunError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProbeCannotRunError';
  }
}

/** Failures that are the server's answer, not a teardown of ours: nothing was aborted by us yet. */
const REFUSALS = new Set(['reply', 'not-found', 'login', 'permission', 'protocol']);

/** FTP failures that say nothing about the path (no such file, login, certificate): the probe cannot run (exit 4). */
const NOT_ABOUT_THE_PATH = new Set(['not-found', 'permission', 'login', 'local', 'tls']);

function notAboutThePath(error: unknown): boolean {
  return error instanceof FtpError && NOT_ABOUT_THE_PATH.has(error.kind);
}

async function siteMptcp(client: FtpClient): Promise<SiteMptcpView | undefined> {
  try {
    const reply = await client.sendCommand('SITE MPTCP');
    return reply.code === 200 ? parseSiteMptcpReply(reply.lines.join('\n').replace(/^200[ -]/, '')) : undefined;
  } catch (error) {
    if (error instanceof FtpError && (error.kind === 'closed' || error.kind === 'timeout')) throw error;
    return undefined; // a reply that is not our JSON: the far end is not mptcp-doctor serve
  }
}

function toServerView(view: SiteMptcpConnection | null | undefined, listener?: 'mptcp' | 'tcp'): ServerConnectionView | undefined {
  if (!view) return undefined;
  const accepted = view.listener ?? listener;
  return {
    socket: view.socket,
    state: view.state,
    subflows: view.subflows.total,
    mpCapableReceived: view.mpCapableReceived,
    ...(view.mpCapableEvidence ? { mpCapableEvidence: view.mpCapableEvidence } : {}),
    ...(accepted ? { listener: accepted } : {}),
  };
}

/** The error in one line; our own time limit is named as such, not as an interruption. */
function failure(error: unknown, timedOut = false, timeoutMs = 0): { message: string; kind: string } {
  if (timedOut && error instanceof FtpError && error.kind === 'aborted') {
    return { message: `the run's time limit (${Math.round(timeoutMs / 1000)} s) ran out`, kind: 'timeout' };
  }
  if (error instanceof FtpError) return { message: error.message, kind: error.kind };
  const message = error instanceof Error ? error.message : String(error);
  return { message, kind: (error as { code?: string }).code ?? 'error' };
}

function formatTarget(target: ProbeTarget): string {
  return target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

/**
 * The TCP connection was made but no FTP greeting came: the far end is not an FTP server (an HTTP
 * server waits for a request, an SSH server greets with "SSH-2.0-..."). Returns the reason, or
 * undefined when the failure was something else (a TLS failure of implicit FTPS, a refusal).
 */
function notAnFtpServer(error: unknown, tracker: ConnectionTracker, timedOut: boolean, timeoutMs: number): string | undefined {
  if (tracker.heardReply || !(error instanceof FtpError)) return undefined;
  if (error.kind === 'protocol') return `is not an FTP server: its first bytes are not an FTP greeting (${error.message})`;
  if (error.kind === 'timeout' || (error.kind === 'aborted' && timedOut)) {
    return `is not an FTP server: it accepted the connection but sent no FTP greeting within ${Math.round(timeoutMs / 1000)} s`;
  }
  if (error.kind === 'closed') return 'is not an FTP server: it closed the connection without an FTP greeting';
  return undefined;
}

/** Downloads (or uploads) while sampling the open connections every `intervalMs`. */
async function sampled<T>(tracker: ConnectionTracker, watch: CounterWatch, intervalMs: number, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    // Once one of our connections is gone without a normal end, later counters may be our teardown.
    if (tracker.closedUnexpectedly()) watch.freeze('a connection closed before the end of the transfer', false);
    else watch.refresh();
    tracker.sampleAll('transfer');
  }, intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export async function runMode(options: RunModeOptions): Promise<ProbeRun> {
  const { target, mode } = options;
  const intervalMs = options.sampleIntervalMs ?? 250;
  const tracker = new ConnectionTracker(mode);
  const watch = new CounterWatch(() => tracker.now());
  const controller = new AbortController();
  let timedOut = false;
  // Snapshot before aborting: the aborted sockets' fast-closes and resets are ours, not the path's.
  const timeout = setTimeout(() => {
    timedOut = true;
    watch.freeze(`the run's time limit (${Math.round(options.timeoutMs / 1000)} s) ran out`, true);
    controller.abort();
  }, options.timeoutMs);
  const onOuterAbort = () => {
    watch.freeze('interrupted', true);
    controller.abort();
  };
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const run: ProbeRun = {
    mode,
    verdict: { status: 'not-attempted', cause: 'none', evidence: [], advice: [] },
    connections: [],
    transfers: [],
    counters: { client: {} },
    anomalies: [],
    server: { kind: 'other' },
    notes: [],
    outcome: 'judged',
  };
  let client: FtpClient | undefined;
  let view: SiteMptcpView | undefined;
  let serverCounters: CounterSnapshot | undefined;
  let transferData: TrackedConnection | undefined;
  try {
    try {
      client = await FtpClient.connect({
        host: target.host,
        port: target.port,
        security: target.security,
        tls: target.tls,
        tcp: target.tcp,
        family: target.family,
        // ProbeMode is a ModeRequest: 'passive'/'active' let the client fall back (EPSV->PASV, EPRT->PORT).
        mode,
        observer: tracker.observer(),
        signal: controller.signal,
        connectTimeoutMs: Math.min(10_000, options.timeoutMs),
        replyTimeoutMs: Math.min(15_000, options.timeoutMs),
        idleTimeoutMs: Math.min(15_000, options.timeoutMs),
      });
      run.server.greeting = client.greeting.message;
    } catch (error) {
      const notFtp = tracker.control ? notAnFtpServer(error, tracker, timedOut, options.timeoutMs) : undefined;
      if (notFtp) throw new ProbeCannotRunError(`${formatTarget(target)} ${notFtp}`, { cause: error });
      if (tracker.control && !notAboutThePath(error)) {
        run.error = { ...failure(error, timedOut, options.timeoutMs), stage: 'connect' };
      } else {
        throw new ProbeCannotRunError(failure(error, timedOut, options.timeoutMs).message, { cause: error });
      }
    }
    if (client) {
      try {
        await client.login(target.user, target.password);
        tracker.sample(tracker.control, 'login');
      } catch (error) {
        const f = failure(error, timedOut, options.timeoutMs);
        // Refused by the server (530, 421...): nothing to probe. A reset or a stall stays evidence.
        if (notAboutThePath(error) || f.kind === 'reply') throw new ProbeCannotRunError(f.message, { cause: error });
        run.error = { ...f, stage: 'login' };
      }
    }
    if (client && !run.error) {
      if (!options.farEnd?.serve) view = await siteMptcp(client);
      const serve = options.farEnd?.serve === true || view !== undefined;
      if (serve) run.server.kind = 'serve';
      const path = target.path ?? (serve ? `/probe/${formatSize(options.size)}` : undefined);
      if (!path) {
        throw new ProbeCannotRunError('the URL names no file and the server is not mptcp-doctor serve: give a file to download, e.g. ftp://host/pub/file');
      }
      const transfer = await download(client, tracker, watch, run, path, intervalMs, (data) => (transferData = data));
      // Right after the transfer, so the far end's "last data connection" is this one.
      const after = serve ? await siteMptcp(client).catch(() => undefined) : undefined;
      if (after) {
        view = after;
        if (!('error' in after.counters)) serverCounters = after.counters.deltas;
      }
      if (serve) await verifyDigest(client, tracker, run, transfer, options.farEnd?.digest);
      else transfer.notVerified = 'the far end is not mptcp-doctor serve and publishes no digest to compare with';
      if (serve && options.upload) await upload(client, tracker, watch, run, options.size, intervalMs);
    }
  } catch (error) {
    if (error instanceof ProbeCannotRunError) throw error;
    // No such file, no permission: the probe cannot run, whatever MPTCP did.
    if (notAboutThePath(error)) throw new ProbeCannotRunError((error as Error).message, { cause: error });
    run.error = run.error ?? { ...failure(error, timedOut, options.timeoutMs), stage: 'transfer' };
  } finally {
    clearTimeout(timeout);
    options.signal?.removeEventListener('abort', onOuterAbort);
    // A refusal by the server left our sockets as they were: the counters now are still evidence.
    if (run.error) watch.freeze(run.error.message, REFUSALS.has(run.error.kind) && !tracker.closedUnexpectedly());
    tracker.sample(tracker.control, 'end');
    // The normal end: the last counters before we close anything ourselves.
    watch.freeze('end', true);
    if (client) {
      const closed = await client.close().catch(() => ({ report: undefined }));
      if (closed.report && tracker.control) tracker.control.final = closed.report;
    }
    for (const tracked of tracker.connections) tracker.finish(tracked);
  }

  const pathManager = await options.pathManager;
  for (const tracked of tracker.connections) tracked.evidence.expectedSubflows = expectedFor(tracked, pathManager);
  const counters = watch.deltas();
  const gaveUp = watch.gaveUp?.reason === 'end' ? undefined : watch.gaveUp;
  run.counters.client = counters.evidence;
  if (Object.keys(counters.afterCut).length > 0) run.counters.clientAfterGiveUp = counters.afterCut;
  if (serverCounters) run.counters.server = serverCounters;
  if (gaveUp) run.gaveUp = gaveUp;
  run.anomalies = tracker.anomalies;
  run.notes = tracker.notes;
  const clientChecksum = tracker.control?.final?.info?.csumEnabled ?? ((await readMptcpSysctl('checksum_enabled')) ?? 0) !== 0;
  // The far end reports on our control connection and its last data connection: the transfer's.
  const serverViews = tracker.connections.map((tracked) =>
    tracked === transferData ? (view?.data ?? undefined) : tracked === tracker.control ? view?.control : undefined,
  );
  const evidence: ProbeEvidence = {
    // The control connection was accepted on the far end's main listener.
    connections: tracker.connections.map((tracked, index) =>
      withServerView(tracked, serverViews[index], tracked === tracker.control && view ? listenerOf(view) : undefined),
    ),
    clientCounters: run.counters.client,
    ...(run.counters.clientAfterGiveUp ? { clientCountersAfterGiveUp: run.counters.clientAfterGiveUp } : {}),
    ...(gaveUp ? { gaveUp } : {}),
    ...(serverCounters ? { serverCounters } : {}),
    anomalies: tracker.anomalies,
    checksum: { client: clientChecksum, ...(view?.control.checksum.enabled != null ? { server: view.control.checksum.enabled } : {}) },
    server: { kind: run.server.kind, ...(view ? { listener: listenerOf(view) } : {}) },
    transfer: { completed: !run.error && run.transfers.every((t) => !t.error), ...(run.error ? { errorKind: run.error.kind } : {}) },
  };
  const judged = judgeProbe(evidence);
  run.verdict = judged.overall;
  // A failed run that no MPTCP evidence explains is a run that could not be done, not a verdict.
  if (run.error && !EXPLAINS_A_FAILED_TRANSFER.has(run.verdict.cause)) run.outcome = 'could-not-run';
  run.connections = tracker.connections.map((tracked, index) => {
    const verdict = judged.connections[index]!;
    const serverView = serverViews[index];
    return {
      role: tracked.evidence.role,
      mode: (tracked.evidence.mode ?? mode) as ProbeMode,
      purpose: tracked.purpose,
      status: verdict.status,
      cause: verdict.cause,
      evidence: verdict.evidence,
      advice: verdict.advice,
      socket: tracked.evidence.socket,
      ...(tracked.evidence.socketReason ? { socketReason: tracked.evidence.socketReason } : {}),
      expectedSubflows: tracked.evidence.expectedSubflows,
      durationMs: tracked.evidence.durationMs,
      samples: tracked.evidence.samples,
      ...(tracked.final ? { final: tracked.final } : {}),
      ...(serverView ? { server: serverView } : {}),
    };
  });
  return run;
}

/**
 * Subflows a connection should reach. Connections the server opened (active mode) get extra subflows
 * only from the server's endpoints, which we cannot see: one is expected.
 */
function expectedFor(tracked: TrackedConnection, pathManager: PathManagerView): number {
  const mode = tracked.evidence.mode;
  if (tracked.evidence.role === 'data' && (mode === 'eprt' || mode === 'port' || mode === 'active')) return 1;
  return expectedSubflows(pathManager, tracked.local?.address, tracked.local?.family ?? 4);
}

/** The far end's listener kind: serve reports it; older serve versions only let us infer MPTCP from a held connection. */
function listenerOf(view: SiteMptcpView): 'mptcp' | 'tcp' | undefined {
  const listener = (view as SiteMptcpView & { listener?: { socket?: 'mptcp' | 'tcp' } }).listener;
  if (listener?.socket) return listener.socket;
  return view.control.socket === 'mptcp' ? 'mptcp' : undefined;
}

function withServerView(tracked: TrackedConnection, view: SiteMptcpConnection | null | undefined, listener?: 'mptcp' | 'tcp'): ConnectionEvidence {
  const server = toServerView(view, listener);
  return server ? { ...tracked.evidence, server } : tracked.evidence;
}

async function download(
  client: FtpClient,
  tracker: ConnectionTracker,
  watch: CounterWatch,
  run: ProbeRun,
  path: string,
  intervalMs: number,
  remember: (data: TrackedConnection | undefined) => void,
): Promise<ProbeTransfer> {
  const sink = new HashSink();
  const transfer: ProbeTransfer = { direction: 'download', path, bytes: 0, seconds: 0, matched: null };
  run.transfers.push(transfer);
  const started = Date.now();
  tracker.setPurpose('transfer');
  const before = tracker.connections.length;
  try {
    await sampled(tracker, watch, intervalMs, () => client.download(path, sink));
  } catch (error) {
    transfer.error = failure(error).message;
    throw error;
  } finally {
    remember(tracker.connections.slice(before).find((c) => c.evidence.role === 'data'));
    transfer.bytes = sink.bytes;
    transfer.seconds = (Date.now() - started) / 1000;
    transfer.sha256 = sink.digest();
    tracker.sample(tracker.control, 'after-transfer');
  }
  return transfer;
}

/** Compares the download with the digest serve publishes beside each probe file (or one the caller knows). */
async function verifyDigest(
  client: FtpClient,
  tracker: ConnectionTracker,
  run: ProbeRun,
  transfer: ProbeTransfer,
  known?: (path: string) => Promise<string | undefined>,
): Promise<void> {
  let expected = known ? await known(transfer.path) : undefined;
  if (!expected) {
    tracker.setPurpose('checksum');
    const small = new SmallSink();
    try {
      await client.download(`${transfer.path}.sha256`, small);
      expected = /\b([0-9a-f]{64})\b/i.exec(small.text())?.[1]?.toLowerCase();
      if (!expected) transfer.notVerified = `${transfer.path}.sha256 holds no SHA-256 digest`;
    } catch (error) {
      transfer.notVerified = `could not read ${transfer.path}.sha256: ${failure(error).message}`;
      run.notes.push(transfer.notVerified);
    }
  }
  if (expected) {
    transfer.expectedSha256 = expected;
    transfer.matched = expected === transfer.sha256;
  }
}

async function upload(client: FtpClient, tracker: ConnectionTracker, watch: CounterWatch, run: ProbeRun, size: number, intervalMs: number): Promise<void> {
  const path = `/upload/probe-${formatSize(size)}`;
  const hash = createHash('sha256');
  const source = Readable.from(
    (function* () {
      for (const segment of probeSegments(0, size)) {
        hash.update(segment);
        yield segment;
      }
    })(),
  );
  const transfer: ProbeTransfer = { direction: 'upload', path, bytes: 0, seconds: 0, matched: null };
  run.transfers.push(transfer);
  tracker.setPurpose('upload');
  const started = Date.now();
  try {
    const result = await sampled(tracker, watch, intervalMs, () => client.upload(path, source));
    transfer.bytes = result.bytes;
    transfer.sha256 = hash.digest('hex');
    const reported = /\b([0-9a-f]{64})\b/i.exec(result.finalReply.lines.join(' '))?.[1]?.toLowerCase();
    if (reported) {
      transfer.expectedSha256 = reported;
      transfer.matched = reported === transfer.sha256;
    } else {
      transfer.notVerified = `the far end's reply to STOR carried no SHA-256 (${result.finalReply.code} ${result.finalReply.message})`;
    }
  } catch (error) {
    transfer.error = failure(error).message;
    throw error;
  } finally {
    transfer.seconds = (Date.now() - started) / 1000;
  }
}
