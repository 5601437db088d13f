// The data side of RETR, STOR/APPE and listings: open the data connection the client prepared
// (PASV/EPSV or PORT/EPRT), move the bytes with backpressure, sample the connection's MPTCP state
// just before it closes (for SITE MPTCP), and reply. docs/server.md describes the lifecycle: the
// data timeout is time without progress, and a download is over when the client's kernel has
// acknowledged every byte and our FIN, not when the last byte was handed to our kernel.
import { createHash } from 'node:crypto';
import type net from 'node:net';
import type { ConnectionReport } from '../net/report.js';
import { readMptcpSysctl } from '../sys/mptcp-sysctl.js';
import { connectActive, type DataConnection } from './data-channel.js';
import { describeDataFailure } from './data-errors.js';
import { printable } from '../text/printable.js';
import type { Session } from './session.js';
import type { SiteMptcpData } from '../protocol/site-mptcp.js';
import { connectionView } from './site-mptcp-view.js';
import { StallWatch } from './stall-watch.js';
import { acceptedFd } from '../net/listen.js';
import { tuneForSending } from './send-tuning.js';
import { handshakeDone } from './tls-layer.js';

/** Bytes queued on a data socket before we wait for 'drain'. The queued buffers are views of the
 * shared probe block, so this costs no memory per client; it keeps the kernel's buffer fed. */
const WRITE_AHEAD = 4 << 20;
/** Longest pause between two looks at the kernel while waiting for the last acknowledgement. */
const DELIVERY_POLL_MAX_MS = 100;
/** While data is still in flight, the connection report (subflows...) is refreshed this often. */
const RESAMPLE_MS = 500;

export type AbortReason = 'abor' | 'shutdown' | 'timeout' | 'peer' | 'limit';

export class TransferAborted extends Error {
  constructor(readonly reason: AbortReason) {
    super(`transfer ${reason}`);
  }
}

export interface TransferResult {
  bytes: number;
  /** The final reply on success. */
  reply: [number, string];
}

/** Bytes the work moved so far (written to the socket, or received): part of what progress means. */
export interface TransferProgress {
  bytes: number;
}

export type TransferWork = (
  data: DataConnection, signal: AbortSignal, sampleNow: () => void, progress: TransferProgress,
) => Promise<TransferResult>;

/**
 * Runs one transfer command: 150, data connection, `work`, 226 (or 425/426/451/552). The session's
 * passive listener or PORT target is used once.
 */
export async function runTransfer(session: Session, command: string, opening: string, work: TransferWork): Promise<void> {
  const passive = session.passive;
  const active = session.active;
  if (!passive && !active) {
    session.reply(425, 'Use PASV, EPSV, PORT or EPRT first');
    return;
  }
  session.passive = undefined;
  session.active = undefined;
  const controller = new AbortController();
  let abortReason: AbortReason | undefined;
  const abort = (reason: AbortReason) => {
    abortReason ??= reason;
    controller.abort(new TransferAborted(reason));
  };
  session.transfer = { command, abort };
  let data: DataConnection | undefined;
  let report: ConnectionReport | undefined;
  const sampleNow = () => {
    report = data?.sample() ?? report;
  };
  const progress: TransferProgress = { bytes: 0 };
  let watch: StallWatch | undefined;
  let started = performance.now();
  let outcome: SiteMptcpData['outcome'] = 'failed';
  try {
    session.reply(150, opening);
    try {
      data = passive
        ? await passive.accepted(session.options.dataConnectTimeoutMs, controller.signal)
        : await connectActive({
            host: active!.host,
            port: active!.port,
            localAddress: canonicalLocal(session.localAddress),
            tcp: session.options.tcp,
            bufferSizes: session.options.bufferSizes,
            timeoutMs: session.options.dataConnectTimeoutMs,
            tlsContext: session.protection === 'P' ? session.context.tlsContext : undefined,
            signal: controller.signal,
          });
    } catch (error) {
      if (abortReason) throw new TransferAborted(abortReason);
      session.log('warn', 'data-connection-failed', { command, message: (error as Error).message });
      session.reply(425, `Cannot open data connection: ${(error as Error).message}`);
      return;
    }
    const opened = data;
    controller.signal.addEventListener('abort', () => opened.stream.destroy(), { once: true });
    sampleNow();
    started = performance.now();
    // Progress: the peer acknowledged bytes (kernel), Node handed bytes to the kernel, or the work
    // moved bytes (uploads). Any of them changing within the data timeout keeps the transfer alive.
    watch = new StallWatch(
      () => `${opened.delivery()?.acked ?? '-'}|${opened.stream.writableLength}|${progress.bytes}`,
      session.options.dataTimeoutMs,
      () => abort('timeout'),
    );
    const result = await work(opened, controller.signal, sampleNow, progress);
    outcome = 'complete';
    const seconds = (performance.now() - started) / 1000;
    const tuning = opened.sendTuning;
    session.log('info', 'transfer', {
      command, mode: opened.mode, bytes: result.bytes, seconds: Number(seconds.toFixed(3)),
      state: report?.state, subflows: report?.subflows.total,
      ...(tuning?.sendBuffer !== undefined ? { sendBuffer: tuning.sendBuffer, notsentLowat: tuning.notsentLowat } : {}),
      ...(tuning?.skipped ? { sendTuning: `defaults (${tuning.skipped})` } : {}),
    });
    session.reply(...result.reply);
  } catch (error) {
    const reason = error instanceof TransferAborted ? error.reason : abortReason;
    outcome = reason === 'abor' || reason === 'shutdown' ? 'aborted' : 'failed';
    const failure = explainFailure(session, reason, error as Error, data, watch);
    // Every abort is logged, whoever caused it: a cut-off transfer must be visible on the server.
    session.log('warn', 'transfer-aborted', {
      command, reason: failure.reason, reply: failure.reply[0], bytes: progress.bytes,
      seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
      ...(failure.detail ? { message: printable(failure.detail, 300) } : {}),
    });
    session.reply(...failure.reply);
  } finally {
    watch?.stop();
    session.transfer = undefined;
    if (!data) void passive?.close();
    // A complete download's bytes and FIN are acknowledged: the connection may close when the client
    // closes it. Anything else is torn down now.
    if (data && outcome === 'complete') session.closeWhenClientDoes(data.stream);
    else data?.stream.destroy();
    if (data) session.lastData = await dataView(data, report, command, progress.bytes, outcome);
  }
}

interface ExplainedFailure {
  reason: string;
  reply: [number, string];
  /** The underlying error's own text, for the log only. */
  detail?: string;
}

function explainFailure(
  session: Session, reason: AbortReason | undefined, error: Error, data: DataConnection | undefined, watch: StallWatch | undefined,
): ExplainedFailure {
  if (reason === 'limit') {
    return { reason, reply: [552, `Upload larger than the limit (${session.options.maxUpload} bytes); aborted`] };
  }
  if (reason === 'timeout') {
    const seconds = Math.round((watch?.idleMs ?? session.options.dataTimeoutMs) / 1000);
    return { reason, reply: [426, `Data connection stalled: no byte moved for ${seconds} s; transfer aborted`] };
  }
  if (reason === 'abor' || reason === 'shutdown') return { reason, reply: [426, 'Transfer aborted'] };
  // The peer went away or the socket failed: the first error the connection raised says why.
  const cause = data?.error ?? (error instanceof TransferAborted ? undefined : error);
  if (!cause) return { reason: 'peer', reply: [426, 'Data connection closed by your side before the transfer completed; transfer aborted'] };
  const described = describeDataFailure(cause);
  return { reason: described.kind, reply: [426, `${described.reply}; transfer aborted`], detail: cause.message };
}

async function dataView(
  data: DataConnection, report: ConnectionReport | undefined, command: string, bytes: number, outcome: SiteMptcpData['outcome'],
): Promise<SiteMptcpData> {
  const checksum = await readMptcpSysctl('checksum_enabled');
  const base = report
    ? connectionView(report, data.handshake, checksum)
    : {
        socket: 'tcp' as const, state: 'tcp' as const, mpCapableReceived: null,
        subflows: { total: 0, list: [] }, checksum: { enabled: null, source: 'unknown' as const }, sampledAt: new Date().toISOString(),
      };
  return { ...base, mode: data.mode, command, bytes, sampled: report ? 'before-close' : 'unavailable', outcome };
}

function canonicalLocal(address: string): string | undefined {
  if (!address) return undefined;
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * Waits for `event` on `stream`, failing on close, error or abort. No timer of its own: the
 * transfer's stall watch aborts `signal` when nothing moves. Plain listeners: this runs once per
 * few MiB of a transfer, and AbortSignal.any on a long-lived signal accumulates state in Node 20.
 */
/** The TLS handshake of a protected data stream (at once for plain TCP), or why it will never come. */
async function handshakeOrFailure(data: DataConnection, signal: AbortSignal): Promise<void> {
  const stream = data.stream;
  if (signal.aborted) throw signal.reason;
  // Failed or gone already (a client that refused our certificate): those events will not come again.
  if (data.error) throw data.error;
  if (stream.destroyed || data.raw.destroyed) throw new TransferAborted('peer');
  let cleanup = () => undefined as void;
  const failed = new Promise<never>((_, reject) => {
    const onClose = () => reject(data.error ?? new TransferAborted('peer'));
    const onError = (error: Error) => reject(error);
    const onAbort = () => reject(signal.reason as Error);
    stream.once('close', onClose);
    stream.once('error', onError);
    data.raw.once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    cleanup = () => {
      stream.off('close', onClose);
      stream.off('error', onError);
      data.raw.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
  });
  try {
    await Promise.race([handshakeDone(stream), failed]);
  } finally {
    cleanup();
  }
}

function waitFor(stream: net.Socket, event: string, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onEvent = () => done();
    const onClose = () => done(new TransferAborted('peer'));
    const onError = (error: Error) => done(error);
    const onAbort = () => done(signal.reason as Error);
    function done(error?: Error) {
      stream.off(event, onEvent);
      stream.off('close', onClose);
      stream.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    }
    stream.once(event, onEvent);
    stream.once('close', onClose);
    stream.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Tunes the socket for sending (send-tuning.ts), writes `segments` with bounded write-ahead,
 * samples the connection, then closes our side gracefully and waits until the client has
 * everything (see finishDelivery). Returns the byte count. Input from the client on a download is
 * read and dropped (so its FIN is seen).
 */
export async function sendSegments(
  data: DataConnection, segments: Iterable<Buffer>, signal: AbortSignal, sampleNow: () => void, progress: TransferProgress,
): Promise<number> {
  const stream = data.stream;
  stream.resume();
  const fd = acceptedFd(data.raw);
  if (fd !== undefined) data.sendTuning = tuneForSending(fd);
  for (const segment of segments) {
    if (signal.aborted) throw signal.reason;
    if (stream.destroyed) throw new TransferAborted('peer');
    stream.write(segment);
    progress.bytes += segment.length;
    if (stream.writableLength >= WRITE_AHEAD) await waitFor(stream, 'drain', signal);
  }
  await untilAcknowledged(data, signal);
  // The connection and its subflows are still up (no FIN sent yet): sample now. Not after a
  // final 'drain': that event only comes when write() returned false, which a small TLS write never does.
  sampleNow();
  // An empty file writes nothing, and ending a TLS stream with nothing queued closes it before its
  // handshake: wait for the handshake first. (Bytes written before the end hold the end back.)
  if (progress.bytes === 0) await handshakeOrFailure(data, signal);
  await finishDelivery(data, signal, sampleNow);
  return progress.bytes;
}

/**
 * On MPTCP, waits until the client has acknowledged every byte written before our side is shut.
 * The kernel refuses an MP_JOIN once the connection has left ESTABLISHED (mptcp_finish_join), and
 * with the large send buffer (send-tuning.ts) a whole file is written, and our DATA_FIN queued,
 * before a client's second path has joined: the file then crawled over one path, and a probe saw its
 * join refused by our own server. Costs one round trip at the end. No deadline: the stall watch
 * aborts `signal` when the acknowledgements stop. Plain TCP (no MPTCP data-level count) returns at once.
 */
async function untilAcknowledged(data: DataConnection, signal: AbortSignal): Promise<void> {
  const stream = data.stream;
  let pollMs = 1;
  for (;;) {
    if (signal.aborted) throw signal.reason;
    if (stream.destroyed) throw new TransferAborted('peer');
    if (stream.readableEnded) return; // the client closed its side: finishDelivery tells the rest
    // Bytes Node still holds are not in the kernel's count yet ('drain' comes only after a full write()).
    const outstanding = stream.writableLength > 0 ? 1n : data.delivery()?.outstanding;
    if (outstanding === undefined || outstanding <= 0n) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    pollMs = Math.min(pollMs * 2, DELIVERY_POLL_MAX_MS);
  }
}

/**
 * Ends our side (the FIN, or MPTCP's DATA_FIN, follows the last byte) and waits until the kernel
 * says the client acknowledged all of it. Before, the socket was destroyed a fixed 5 s after the
 * last write: on a slow MPTCP path the unsent tail was then lost, and a client that reads the 226
 * before closing its data connection waited those 5 s on every transfer.
 *
 * Ends early when the client closes its side first: it has read what it wanted. On MPTCP the
 * kernel still tells whether data (not just our DATA_FIN) was left unacknowledged: that is a
 * transfer cut short by the client. No deadline: the stall watch aborts `signal` when the
 * acknowledgements stop. When the kernel cannot say (no descriptor), the end of our writes counts,
 * as it does for vsftpd, and the socket stays open until the client closes it.
 */
function finishDelivery(data: DataConnection, signal: AbortSignal, sampleNow: () => void): Promise<void> {
  const stream = data.stream;
  if (signal.aborted) return Promise.reject(signal.reason);
  if (stream.destroyed) return Promise.reject(new TransferAborted('peer'));
  return new Promise((resolve, reject) => {
    let finished = stream.writableFinished;
    let peerEnded = stream.readableEnded;
    let settled = false;
    let poll: NodeJS.Timeout | undefined;
    let pollMs = 1;
    let sampledAt = performance.now();
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(poll);
      stream.off('finish', onFinish);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      stream.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    // Runs in the 'end' and 'finish' listeners too, before Node closes a socket whose both sides
    // are done: the descriptor is still open then.
    const check = () => {
      if (settled) return;
      if (!finished) {
        // The client closed its side while Node still holds bytes it could not hand to the kernel
        // (a TLS handshake the client gave up on): they will never leave.
        if (peerEnded && stream.writableLength > 0) settle(new TransferAborted('peer'));
        return;
      }
      clearTimeout(poll);
      // Gone before the client closed its side or acknowledged everything: reset, or torn down.
      if (stream.destroyed) return settle(new TransferAborted('peer'));
      const sample = data.delivery();
      if (!sample || sample.delivered) return settle();
      if (peerEnded) {
        const lost = sample.outstanding !== undefined && sample.outstanding > 1n;
        return settle(lost ? new TransferAborted('peer') : undefined);
      }
      // A small file is all written before extra subflows join: while MPTCP data is still in
      // flight (more than our DATA_FIN outstanding), the connection is sampled again.
      if (sample.outstanding !== undefined && sample.outstanding > 1n && performance.now() - sampledAt >= RESAMPLE_MS) {
        sampledAt = performance.now();
        sampleNow();
      }
      // Soon after our FIN on a fast path, every 100 ms on a slow one.
      poll = setTimeout(check, pollMs);
      pollMs = Math.min(pollMs * 2, DELIVERY_POLL_MAX_MS);
    };
    const onFinish = () => {
      finished = true;
      check();
    };
    const onEnd = () => {
      peerEnded = true;
      check();
    };
    const onClose = () => settle(new TransferAborted('peer'));
    const onError = (error: Error) => settle(error);
    const onAbort = () => settle(signal.reason as Error);
    stream.on('finish', onFinish);
    stream.on('end', onEnd);
    stream.once('close', onClose);
    stream.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    stream.end();
    check();
  });
}

/** Reads an upload to its end: byte count and SHA-256; aborts past `limit` bytes. */
export async function receiveUpload(
  data: DataConnection, signal: AbortSignal, limit: number, sampleNow: () => void, progress: TransferProgress,
): Promise<{ bytes: number; sha256: string }> {
  const stream = data.stream;
  const hash = createHash('sha256');
  if (signal.aborted) throw signal.reason;
  return new Promise((resolve, reject) => {
    function finish(error?: Error) {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      stream.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
    }
    function onData(chunk: Buffer) {
      progress.bytes += chunk.length;
      if (progress.bytes > limit) return finish(new TransferAborted('limit'));
      hash.update(chunk);
    }
    function onEnd() {
      // The client's FIN: the connection is half open and still readable by getsockopt.
      sampleNow();
      finish();
      // Our FIN (and TLS close_notify) in return, once the read that delivered the client's end is
      // over: ended from inside it, a TLS 1.3 socket sent its FIN without close_notify (Node 20).
      // Node closes the socket once both sides are done.
      setImmediate(() => stream.end());
      resolve({ bytes: progress.bytes, sha256: hash.digest('hex') });
    }
    function onClose() {
      finish(new TransferAborted('peer'));
    }
    function onError(error: Error) {
      finish(error);
    }
    function onAbort() {
      finish(signal.reason as Error);
    }
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onClose);
    stream.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
