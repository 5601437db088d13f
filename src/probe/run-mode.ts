// One probe run: an FTP session (src/session) whose step downloads in one data mode, asks the far
// end what it saw (SITE MPTCP, when it is mptcp-doctor serve), verifies the digest and, on request,
// uploads. The session judges the evidence; this file decides what a failure means for a probe.
import { formatHostPort } from '../net/address.js';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { FtpError, type FtpClient } from '../ftp/index.js';
import { probeSegments } from '../protocol/probe-stream.js';
import { parseSiteMptcpReply, type SiteMptcpView } from '../protocol/site-mptcp.js';
import { formatSize } from '../protocol/size.js';
import type { PathManagerView } from '../session/expected-subflows.js';
import type { ConnectionRecord } from '../session/record.js';
import { runSession, type SessionContext, type SessionOutcome, type SessionTarget } from '../session/session.js';
import { notAnFtpServer } from '../session/far-end.js';
import type { CounterSnapshot } from '../sys/counters.js';
import type { ProbeMode, ReplyAnomaly } from '../verdict/evidence.js';
import type { Verdict } from '../verdict/verdict.js';
import { ProbeCannotRunError } from './errors.js';
import { HashSink, SmallSink } from './hash-sink.js';

export { ProbeCannotRunError } from './errors.js';

export interface ProbeTarget extends SessionTarget {
  /** Path of a file to download, or undefined to probe /probe/<size> of mptcp-doctor serve. */
  path?: string;
}

export interface ProbeTimeouts {
  connectMs: number;
  replyMs: number;
  idleMs: number;
  /** Each run as a whole. */
  runMs: number;
}

export interface RunModeOptions {
  target: ProbeTarget;
  mode: ProbeMode;
  /** Bytes of /probe/<size> (serve only). */
  size: number;
  upload: boolean;
  timeouts: ProbeTimeouts;
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
  /** Bytes moved so far in this run's transfers (a progress display). */
  onProgress?(bytes: number): void;
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

export type ProbeConnection = ConnectionRecord;

export interface ProbeRun {
  mode: ProbeMode;
  verdict: Verdict;
  connections: ConnectionRecord[];
  transfers: ProbeTransfer[];
  /**
   * MPTcpExt deltas. `client`: until the client gave up (or the end of the work), the evidence;
   * `clientTcp`: the TcpExt receive-window counters; `clientAfterGiveUp`: what our own teardown and
   * the far end's reaction added, never judged; `server`: the far end's, from SITE MPTCP.
   */
  counters: { client: CounterSnapshot; clientTcp: CounterSnapshot; clientAfterGiveUp?: CounterSnapshot; server?: CounterSnapshot };
  anomalies: ReplyAnomaly[];
  server: { kind: 'serve' | 'other'; greeting?: string };
  /** What the client noted on the way (a PASV address replaced, a mode fallback). */
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

function formatTarget(target: ProbeTarget): string {
  return formatHostPort(target.host, target.port);
}

/** A failure that means the probe cannot run at all: thrown as ProbeCannotRunError (exit 4, no verdict). */
function cannotRun(session: SessionOutcome<unknown>, target: ProbeTarget, timeouts: ProbeTimeouts): ProbeCannotRunError | undefined {
  const failure = session.failure;
  if (!failure) return undefined;
  const { error } = failure;
  if (error instanceof ProbeCannotRunError) return error;
  const notFtp = notAnFtpServer(session, Math.min(timeouts.replyMs, timeouts.runMs));
  if (notFtp) return new ProbeCannotRunError(`${formatTarget(target)} ${notFtp}`, { cause: error });
  // No connection at all, or refused by the server (530, 421...): nothing to probe. A reset or a stall stays evidence.
  if (failure.stage === 'connect' && !session.records.some((r) => r.role === 'control')) return new ProbeCannotRunError(failure.message, { cause: error });
  if (notAboutThePath(error) || (failure.stage !== 'transfer' && failure.kind === 'reply')) {
    return new ProbeCannotRunError(failure.message, { cause: error });
  }
  return undefined;
}

export async function runMode(options: RunModeOptions): Promise<ProbeRun> {
  const { target, mode, timeouts } = options;
  const transfers: ProbeTransfer[] = [];
  let serve = options.farEnd?.serve === true;
  const session = await runSession(
    {
      target,
      mode,
      timeouts: { connectMs: timeouts.connectMs, replyMs: timeouts.replyMs, idleMs: timeouts.idleMs, maxMs: timeouts.runMs },
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.sampleIntervalMs ? { sampleIntervalMs: options.sampleIntervalMs } : {}),
      pathManager: options.pathManager,
      ...(options.onProgress ? { observer: progressObserver(options.onProgress) } : {}),
    },
    async (context) => {
      const first = serve ? undefined : await siteMptcp(context.client);
      serve ||= first !== undefined;
      const path = target.path ?? (serve ? `/probe/${formatSize(options.size)}` : undefined);
      if (!path) {
        throw new ProbeCannotRunError('the URL names no file and the server is not mptcp-doctor serve: give a file to download, e.g. ftp://host/pub/file');
      }
      const transfer = await download(context, transfers, path);
      // Right after the transfer, so the far end's "last data connection" is this one.
      const after = serve ? await siteMptcp(context.client).catch(() => undefined) : undefined;
      if (after ?? first) context.setFarEndView((after ?? first)!, after ? context.lastData() : undefined);
      if (serve) await verifyDigest(context, transfer, options.farEnd?.digest);
      else transfer.notVerified = 'the far end is not mptcp-doctor serve and publishes no digest to compare with';
      if (serve && options.upload) await upload(context, transfers, options.size);
    },
  );
  const thrown = cannotRun(session, target, timeouts);
  if (thrown) throw thrown;
  const failure = session.failure;
  return {
    mode,
    verdict: session.verdict,
    connections: session.records,
    transfers,
    counters: {
      client: session.counters.client.mptcp,
      clientTcp: session.counters.client.tcp,
      ...(session.counters.clientAfterGiveUp ? { clientAfterGiveUp: session.counters.clientAfterGiveUp.mptcp } : {}),
      ...(session.counters.server ? { server: session.counters.server } : {}),
    },
    anomalies: session.anomalies,
    server: { kind: serve || session.farEnd === 'serve' ? 'serve' : 'other', ...(session.greeting !== undefined ? { greeting: session.greeting } : {}) },
    notes: session.notes,
    ...(failure ? { error: { message: failure.message, kind: failure.kind, stage: failure.stage } } : {}),
    ...(session.gaveUp ? { gaveUp: session.gaveUp } : {}),
    outcome: session.outcome,
  };
}

/** Cumulative bytes over the run's data connections, from the client's per-transfer progress. */
function progressObserver(onProgress: (bytes: number) => void) {
  let done = 0;
  let current = 0;
  return {
    onDataProgress: (bytes: number) => {
      current = bytes;
      onProgress(done + current);
    },
    onDataEnd: () => {
      done += current;
      current = 0;
    },
  };
}

async function download(context: SessionContext, transfers: ProbeTransfer[], path: string): Promise<ProbeTransfer> {
  const sink = new HashSink();
  const transfer: ProbeTransfer = { direction: 'download', path, bytes: 0, seconds: 0, matched: null };
  transfers.push(transfer);
  const started = Date.now();
  try {
    await context.sampled('transfer', () => context.client.download(path, sink));
  } catch (error) {
    transfer.error = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    transfer.bytes = sink.bytes;
    transfer.seconds = (Date.now() - started) / 1000;
    transfer.sha256 = sink.digest();
  }
  return transfer;
}

/** Compares the download with the digest serve publishes beside each probe file (or one the caller knows). */
async function verifyDigest(context: SessionContext, transfer: ProbeTransfer, known?: (path: string) => Promise<string | undefined>): Promise<void> {
  let expected = known ? await known(transfer.path) : undefined;
  if (!expected) {
    const small = new SmallSink();
    try {
      await context.sampled('checksum', () => context.client.download(`${transfer.path}.sha256`, small));
      expected = /\b([0-9a-f]{64})\b/i.exec(small.text())?.[1]?.toLowerCase();
      if (!expected) transfer.notVerified = `${transfer.path}.sha256 holds no SHA-256 digest`;
    } catch (error) {
      transfer.notVerified = `could not read ${transfer.path}.sha256: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  if (expected) {
    transfer.expectedSha256 = expected;
    transfer.matched = expected === transfer.sha256;
  }
}

async function upload(context: SessionContext, transfers: ProbeTransfer[], size: number): Promise<void> {
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
  transfers.push(transfer);
  const started = Date.now();
  try {
    const result = await context.sampled('upload', () => context.client.upload(path, source));
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
    transfer.error = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    transfer.seconds = (Date.now() - started) / 1000;
  }
}
