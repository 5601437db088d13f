// Moving bytes over one data connection, fast and bounded. Receiving: the socket is drained into
// the sink with backpressure, and a slow sink pauses the socket only until its buffer drains
// (an undrained MPTCP receiver stalls on zero windows: docs/mptcp-facts.md, "Receive-window stalls"). Sending: a readable
// source is written with backpressure. Both sample the connection report just before closing it.
import type net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type tls from 'node:tls';
import { withFinalCounters, type ConnectionReport } from '../net/report.js';
import type { FtpConnectionHandle } from './connection-handle.js';
import { earlyOutcome } from './data-socket.js';
import { FtpError } from './errors.js';
import type { FileSink } from './file-sink.js';
import type { FileSource } from './file-source.js';

export interface StreamOptions {
  /** Longest time without a byte moving (default 60 s). */
  idleTimeoutMs: number;
  signal?: AbortSignal;
  /** Cumulative bytes of this transfer, at most every `progressIntervalMs`. */
  onProgress?(bytes: number): void;
  progressIntervalMs?: number;
}

export interface StreamResult {
  bytes: number;
  /** Sampled just before the socket was destroyed; undefined if the kernel could not be asked. */
  report?: ConnectionReport;
  reportError?: string;
}

/** Samples the report while the fd is still ours; never throws. */
export function sampleBeforeClose(handle: FtpConnectionHandle): { report?: ConnectionReport; reportError?: string } {
  try {
    return { report: handle.report() };
  } catch (error) {
    return { reportError: error instanceof Error ? error.message : String(error) };
  }
}

interface Watch {
  touch(): void;
  stop(): void;
}

/** One interval timer per transfer (cheaper than re-arming a timer per chunk). */
function watchIdle(options: StreamOptions, counter: () => number, onIdle: () => void): Watch {
  let last = Date.now();
  let reported = -1;
  const tick = Math.min(1000, options.progressIntervalMs ?? 200);
  const timer = setInterval(() => {
    const bytes = counter();
    if (bytes !== reported) {
      reported = bytes;
      options.onProgress?.(bytes);
    }
    if (Date.now() - last > options.idleTimeoutMs) onIdle();
  }, tick);
  timer.unref();
  return {
    touch: () => {
      last = Date.now();
    },
    stop: () => clearInterval(timer),
  };
}

type Sample = { report?: ConnectionReport; reportError?: string };

/**
 * What every transfer shares: an idle watch, Ctrl-C, and settling exactly once. fail() destroys
 * the sockets and rejects; finish() samples the report (unless already sampled) while the fd is
 * still ours, then destroys and resolves.
 */
interface Guard {
  readonly finished: boolean;
  touch(): void;
  fail(error: Error): void;
  finish(bytes: number, sampled?: Sample): void;
}

function guard(
  handle: FtpConnectionHandle,
  stream: net.Socket | tls.TLSSocket,
  options: StreamOptions,
  count: () => number,
  settle: { resolve(result: StreamResult): void; reject(error: Error): void },
  idle: string,
  onCleanup: () => void = () => undefined,
): Guard {
  let finished = false;
  const watch = watchIdle(options, count, () => state.fail(new FtpError(`data connection ${idle} for ${Math.round(options.idleTimeoutMs / 1000)} s`, 'timeout')));
  const onAbort = () => state.fail(new FtpError('transfer interrupted', 'aborted'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  function cleanup(): boolean {
    if (finished) return false;
    finished = true;
    watch.stop();
    options.signal?.removeEventListener('abort', onAbort);
    onCleanup();
    return true;
  }
  const state: Guard = {
    get finished() {
      return finished;
    },
    touch: () => watch.touch(),
    fail(error) {
      if (!cleanup()) return;
      stream.destroy();
      handle.socket.destroy();
      settle.reject(error);
    },
    finish(bytes, sampled) {
      if (!cleanup()) return;
      options.onProgress?.(bytes);
      const report = sampled?.report ? sampled : sampleBeforeClose(handle);
      stream.destroy();
      handle.socket.destroy();
      settle.resolve({ bytes, ...report });
    },
  };
  stream.on('error', (error: Error) => state.fail(new FtpError(`data connection: ${error.message}`, 'closed', undefined, { cause: error })));
  if (options.signal?.aborted) queueMicrotask(onAbort);
  return state;
}

/**
 * Settles a download whose connection ended, failed or closed before its reader attached (it is
 * held from its creation: holdDataSocket). Events from now on reach the listeners just attached.
 */
function catchUpDownload(stream: net.Socket | tls.TLSSocket, state: Guard, bytes: () => number): void {
  const early = earlyOutcome(stream);
  if (early?.kind === 'ended') state.finish(bytes());
  else if (early?.kind === 'failed') state.fail(new FtpError(`data connection: ${early.error.message}`, 'closed', undefined, { cause: early.error }));
  else if (early?.kind === 'closed') state.fail(new FtpError('data connection closed before the end of data', 'closed'));
}

/** An upload cannot start on a connection the server already reset or closed. */
function catchUpUpload(stream: net.Socket | tls.TLSSocket, state: Guard): void {
  const early = earlyOutcome(stream);
  if (early?.kind === 'failed') state.fail(new FtpError(`data connection: ${early.error.message}`, 'closed', undefined, { cause: early.error }));
  else if (early?.kind === 'closed') state.fail(new FtpError('data connection closed by the server before the upload', 'closed'));
}

/**
 * After the last byte of an upload: sample while the connection is surely up (the server may close
 * right after our FIN), end the stream, sample again if it still is, and wait (bounded) for the
 * server to close its side before finishing.
 */
function finishUpload(handle: FtpConnectionHandle, stream: net.Socket | tls.TLSSocket, options: StreamOptions, state: Guard, bytes: () => number, keep: (sample: Sample) => void): void {
  let sampled = sampleBeforeClose(handle);
  keep(sampled);
  stream.end(() => {
    const later = sampleBeforeClose(handle);
    if (later.report?.remote) sampled = later;
    keep(sampled);
    const done = () => state.finish(bytes(), sampled);
    const grace = setTimeout(done, Math.min(options.idleTimeoutMs, 10_000));
    grace.unref();
    stream.once('close', () => {
      clearTimeout(grace);
      done();
    });
    stream.once('end', () => {
      clearTimeout(grace);
      // The server closes after reading our last byte: only now has every byte been sent and
      // acknowledged. The samples above were taken while much of the upload still sat in the
      // socket's send buffer (a 4.8 MiB upload showed 0.7 MiB sent). By now both sides have
      // closed, so the subflows are in CLOSE and the peer's address is gone: keep the live
      // sample's states and addresses, with the byte counts each subflow reached.
      const atEnd = sampleBeforeClose(handle);
      if (atEnd.report?.remote) sampled = atEnd;
      else if (atEnd.report && sampled.report) sampled = { report: withFinalCounters(sampled.report, atEnd.report) };
      keep(sampled);
      done();
    });
    stream.resume();
  });
}

/**
 * Reads `stream` (the raw data socket, or TLS over it) to its end into `sink`. Resolves at the
 * server's end of data, after sampling the report; the sink is not ended (the caller owns it).
 */
export function receiveInto(handle: FtpConnectionHandle, stream: net.Socket | tls.TLSSocket, sink: Writable, options: StreamOptions): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const onDrain = () => stream.resume();
    const onSinkError = (error: Error) => state.fail(new FtpError(`writing the download: ${error.message}`, 'local', undefined, { cause: error }));
    const state = guard(handle, stream, options, () => bytes, { resolve, reject }, 'idle', () => {
      sink.off('drain', onDrain);
      sink.off('error', onSinkError);
    });
    sink.on('error', onSinkError);
    sink.on('drain', onDrain);
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      state.touch();
      if (!sink.write(chunk)) stream.pause();
    });
    stream.once('end', () => state.finish(bytes));
    stream.once('close', () => state.fail(new FtpError('data connection closed before the end of data', 'closed')));
    catchUpDownload(stream, state, () => bytes);
  });
}

/**
 * Writes `source` to `stream` with backpressure, then ends it (FIN, or close_notify under TLS),
 * samples the report and waits (bounded) for the server to close its side.
 */
export function sendFrom(handle: FtpConnectionHandle, stream: net.Socket | tls.TLSSocket, source: Readable, options: StreamOptions): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let sampled: Sample = {};
    const state = guard(handle, stream, options, () => bytes, { resolve, reject }, 'stalled', () => source.destroy());
    source.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      state.touch();
      if (!stream.write(chunk)) source.pause();
    });
    stream.on('drain', () => {
      state.touch();
      source.resume();
    });
    source.once('end', () => finishUpload(handle, stream, options, state, () => bytes, (sample) => (sampled = sample)));
    source.on('error', (error: Error) => state.fail(new FtpError(`reading the upload: ${error.message}`, 'local', undefined, { cause: error })));
    stream.once('close', () => {
      if (!sampled.report && !sampled.reportError) state.fail(new FtpError('data connection closed by the server during the upload', 'closed'));
    });
    catchUpUpload(stream, state);
  });
}

/**
 * The fast path: the socket already reads into `sink`'s buffers (connect({ onread })). Resolves at
 * the server's end of data once every byte is on its way to the file, after sampling the report.
 */
export function receiveIntoFile(handle: FtpConnectionHandle, sink: FileSink, options: StreamOptions): Promise<StreamResult> {
  const socket = handle.socket;
  return new Promise((resolve, reject) => {
    // Everything the sink holds is this transfer's, also what arrived before we got here.
    let seen = 0;
    const counted = () => {
      const now = sink.bytes;
      if (now !== seen) {
        seen = now;
        state.touch();
      }
      return now;
    };
    const state = guard(handle, socket, options, counted, { resolve, reject }, 'idle', () => {
      sink.onError = undefined;
    });
    sink.onError = (error) => state.fail(new FtpError(`writing the download: ${error.message}`, 'local', undefined, { cause: error }));
    sink.attach(socket);
    socket.once('end', () => state.finish(sink.bytes));
    socket.once('close', () => state.fail(new FtpError('data connection closed before the end of data', 'closed')));
    catchUpDownload(socket, state, () => sink.bytes);
  });
}

/**
 * Uploads a file through a FileSource (no allocation per read), then ends the stream, samples the
 * report and waits (bounded) for the server to close its side, as sendFrom does.
 */
export function sendFileFrom(handle: FtpConnectionHandle, stream: net.Socket | tls.TLSSocket, source: FileSource, options: StreamOptions): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const stop = { stopped: false };
    let sampled: Sample = {};
    const state = guard(handle, stream, options, () => bytes, { resolve, reject }, 'stalled', () => {
      stop.stopped = true;
    });
    stream.once('close', () => {
      if (!sampled.report && !sampled.reportError) state.fail(new FtpError('data connection closed by the server during the upload', 'closed'));
    });
    catchUpUpload(stream, state);
    if (state.finished) return;
    source
      .pump(stream, {
        onBytes: (count) => {
          bytes += count;
          state.touch();
        },
        signal: stop,
      })
      .then(
        () => {
          if (state.finished) return;
          finishUpload(handle, stream, options, state, () => bytes, (sample) => (sampled = sample));
        },
        (error: NodeJS.ErrnoException) => {
          const local = typeof error.syscall === 'string' && error.syscall === 'read';
          state.fail(new FtpError(local ? `reading the upload: ${error.message}` : `data connection: ${error.message}`, local ? 'local' : 'closed', undefined, { cause: error }));
        },
      );
  });
}
