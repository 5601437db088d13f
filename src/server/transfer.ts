// The data side of RETR, STOR/APPE and listings: open the data connection the client prepared
// (PASV/EPSV or PORT/EPRT), move the bytes with backpressure and timeouts, sample the connection's
// MPTCP state just before it closes (for SITE MPTCP), and reply.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type net from 'node:net';
import type { ConnectionReport } from '../net/report.js';
import { readMptcpSysctl } from '../sys/mptcp-sysctl.js';
import { connectActive, type DataConnection } from './data-channel.js';
import type { Session } from './session.js';
import type { SiteMptcpData } from '../protocol/site-mptcp.js';
import { connectionView } from './site-mptcp-view.js';

/** Bytes queued on a data socket before we wait for 'drain'. The queued buffers are views of the
 * shared probe block, so this costs no memory per client; it keeps the kernel's buffer fed. */
const WRITE_AHEAD = 4 << 20;
/** After our last byte, how long the client gets to close its end before we close it. */
const CLOSE_GRACE_MS = 5_000;

export class TransferAborted extends Error {
  constructor(readonly reason: 'abor' | 'shutdown' | 'timeout' | 'peer' | 'limit') {
    super(`transfer ${reason}`);
  }
}

export interface TransferResult {
  bytes: number;
  /** The final reply on success. */
  reply: [number, string];
}

export type TransferWork = (data: DataConnection, signal: AbortSignal, sampleNow: () => void) => Promise<TransferResult>;

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
  let abortReason: TransferAborted['reason'] | undefined;
  session.transfer = {
    command,
    abort(reason) {
      abortReason ??= reason;
      controller.abort(new TransferAborted(reason));
    },
  };
  let data: DataConnection | undefined;
  let report: ConnectionReport | undefined;
  const sampleNow = () => {
    report = data?.sample() ?? report;
  };
  let bytes = 0;
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
    const started = performance.now();
    const result = await work(opened, controller.signal, sampleNow);
    bytes = result.bytes;
    outcome = 'complete';
    const seconds = (performance.now() - started) / 1000;
    session.log('info', 'transfer', {
      command, mode: opened.mode, bytes, seconds: Number(seconds.toFixed(3)),
      state: report?.state, subflows: report?.subflows.total,
    });
    session.reply(...result.reply);
  } catch (error) {
    const reason = error instanceof TransferAborted ? error.reason : abortReason;
    outcome = reason === 'abor' || reason === 'shutdown' ? 'aborted' : 'failed';
    if (error instanceof TransferAborted && error.reason === 'limit') {
      session.reply(552, `Upload larger than the limit (${session.options.maxUpload} bytes); aborted`);
    } else if (reason === 'timeout') {
      session.reply(426, 'Data connection stalled; transfer aborted');
    } else if (reason) {
      session.reply(426, 'Transfer aborted');
    } else {
      session.log('warn', 'transfer-failed', { command, message: (error as Error).message });
      session.reply(426, `Data connection closed: ${(error as Error).message}`);
    }
  } finally {
    session.transfer = undefined;
    data?.stream.destroy();
    if (!data) void passive?.close();
    if (data) session.lastData = await dataView(data, report, command, bytes, outcome);
  }
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
 * Waits for `event` on `stream`, failing on close, error, abort or `timeoutMs` without it. Plain
 * listeners and one timer: this runs once per few MiB of a transfer, and AbortSignal.any on a
 * long-lived signal accumulates state in Node 20.
 */
function waitFor(stream: net.Socket, event: string, signal: AbortSignal, timeoutMs: number): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new TransferAborted('timeout')), timeoutMs);
    const onEvent = () => done();
    const onClose = () => done(new TransferAborted('peer'));
    const onError = (error: Error) => done(error);
    const onAbort = () => done(signal.reason as Error);
    function done(error?: Error) {
      clearTimeout(timer);
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
 * Writes `segments` with bounded write-ahead, then ends the stream after sampling. Returns the
 * byte count. Input from the client on a download is read and dropped (so its FIN is seen).
 */
export async function sendSegments(
  data: DataConnection, segments: Iterable<Buffer>, signal: AbortSignal, timeoutMs: number, sampleNow: () => void,
): Promise<number> {
  const stream = data.stream;
  stream.resume();
  let bytes = 0;
  for (const segment of segments) {
    if (signal.aborted) throw signal.reason;
    if (stream.destroyed) throw new TransferAborted('peer');
    stream.write(segment);
    bytes += segment.length;
    if (stream.writableLength >= WRITE_AHEAD) await waitFor(stream, 'drain', signal, timeoutMs);
  }
  // The connection and its subflows are still up (no FIN sent yet): sample now. Not after a
  // final 'drain': that event only comes when write() returned false, which a small TLS write never does.
  sampleNow();
  stream.end();
  await waitFor(stream, 'finish', signal, timeoutMs);
  await closeWithin(stream, CLOSE_GRACE_MS);
  return bytes;
}

/** Reads an upload to its end: byte count and SHA-256; aborts past `limit` bytes. */
export async function receiveUpload(
  data: DataConnection, signal: AbortSignal, timeoutMs: number, limit: number, sampleNow: () => void,
): Promise<{ bytes: number; sha256: string }> {
  const stream = data.stream;
  const hash = createHash('sha256');
  let bytes = 0;
  return new Promise((resolve, reject) => {
    let timer = setTimeout(onStall, timeoutMs);
    function onStall() {
      finish(new TransferAborted('timeout'));
    }
    function finish(error?: Error) {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
    }
    function onData(chunk: Buffer) {
      bytes += chunk.length;
      if (bytes > limit) return finish(new TransferAborted('limit'));
      hash.update(chunk);
      clearTimeout(timer);
      timer = setTimeout(onStall, timeoutMs);
    }
    function onEnd() {
      // The client's FIN: the connection is half open and still readable by getsockopt.
      sampleNow();
      finish();
      stream.end();
      closeWithin(stream, CLOSE_GRACE_MS).then(() => resolve({ bytes, sha256: hash.digest('hex') }), reject);
    }
    function onClose() {
      finish(new TransferAborted('peer'));
    }
    function onAbort() {
      finish(signal.reason as Error);
    }
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function closeWithin(stream: net.Socket, ms: number): Promise<void> {
  if (stream.destroyed) return;
  const timer = setTimeout(() => stream.destroy(), ms);
  await once(stream, 'close').catch(() => undefined);
  clearTimeout(timer);
}
