// Moving bytes over one data connection, fast and bounded. Receiving: the socket is drained into
// the sink with backpressure, and a slow sink pauses the socket only until its buffer drains
// (an undrained MPTCP receiver stalls on zero windows, DESIGN.md section 4). Sending: a readable
// source is written with backpressure. Both sample the connection report just before closing it.
import type net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type tls from 'node:tls';
import type { ConnectionReport } from '../net/report.js';
import type { FtpConnectionHandle } from './connection-handle.js';
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

/**
 * Reads `stream` (the raw data socket, or TLS over it) to its end into `sink`. Resolves at the
 * server's end of data, after sampling the report; the sink is not ended (the caller owns it).
 */
export function receiveInto(handle: FtpConnectionHandle, stream: net.Socket | tls.TLSSocket, sink: Writable, options: StreamOptions): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let finished = false;
    const watch = watchIdle(options, () => bytes, () => fail(new FtpError(`data connection idle for ${Math.round(options.idleTimeoutMs / 1000)} s`, 'timeout')));
    const onAbort = () => fail(new FtpError('transfer interrupted', 'aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const onDrain = () => {
      stream.resume();
    };
    function cleanup() {
      finished = true;
      watch.stop();
      options.signal?.removeEventListener('abort', onAbort);
      sink.off('drain', onDrain);
      sink.off('error', onSinkError);
    }
    function fail(error: Error) {
      if (finished) return;
      cleanup();
      stream.destroy();
      handle.socket.destroy();
      reject(error);
    }
    function onSinkError(error: Error) {
      fail(new FtpError(`writing the download: ${error.message}`, 'local', undefined, { cause: error }));
    }
    sink.on('error', onSinkError);
    sink.on('drain', onDrain);
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      watch.touch();
      if (!sink.write(chunk)) stream.pause();
    });
    stream.once('end', () => {
      if (finished) return;
      cleanup();
      options.onProgress?.(bytes);
      const sampled = sampleBeforeClose(handle);
      stream.destroy();
      handle.socket.destroy();
      resolve({ bytes, ...sampled });
    });
    stream.on('error', (error: Error) => fail(new FtpError(`data connection: ${error.message}`, 'closed', undefined, { cause: error })));
    stream.once('close', () => fail(new FtpError('data connection closed before the end of data', 'closed')));
    if (options.signal?.aborted) onAbort();
  });
}

/**
 * Writes `source` to `stream` with backpressure, then ends it (FIN, or close_notify under TLS),
 * samples the report and waits (bounded) for the server to close its side.
 */
export function sendFrom(handle: FtpConnectionHandle, stream: net.Socket | tls.TLSSocket, source: Readable, options: StreamOptions): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let finished = false;
    let sampled: { report?: ConnectionReport; reportError?: string } = {};
    const watch = watchIdle(options, () => bytes, () => fail(new FtpError(`data connection stalled for ${Math.round(options.idleTimeoutMs / 1000)} s`, 'timeout')));
    const onAbort = () => fail(new FtpError('transfer interrupted', 'aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    function cleanup() {
      finished = true;
      watch.stop();
      options.signal?.removeEventListener('abort', onAbort);
    }
    function fail(error: Error) {
      if (finished) return;
      cleanup();
      source.destroy();
      stream.destroy();
      handle.socket.destroy();
      reject(error);
    }
    function done() {
      if (finished) return;
      cleanup();
      options.onProgress?.(bytes);
      if (!sampled.report) sampled = sampleBeforeClose(handle);
      stream.destroy();
      handle.socket.destroy();
      resolve({ bytes, ...sampled });
    }
    source.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      watch.touch();
      if (!stream.write(chunk)) source.pause();
    });
    stream.on('drain', () => {
      watch.touch();
      source.resume();
    });
    source.once('end', () => {
      // Sample while the connection is surely up (the server may close right after our FIN),
      // then again once everything is flushed if it still is.
      sampled = sampleBeforeClose(handle);
      stream.end(() => {
        const later = sampleBeforeClose(handle);
        if (later.report?.remote) sampled = later;
        const grace = setTimeout(done, Math.min(options.idleTimeoutMs, 10_000));
        grace.unref();
        stream.once('close', () => {
          clearTimeout(grace);
          done();
        });
        stream.once('end', () => {
          clearTimeout(grace);
          done();
        });
        stream.resume();
      });
    });
    source.on('error', (error: Error) => fail(new FtpError(`reading the upload: ${error.message}`, 'local', undefined, { cause: error })));
    stream.on('error', (error: Error) => fail(new FtpError(`data connection: ${error.message}`, 'closed', undefined, { cause: error })));
    stream.once('close', () => {
      if (!sampled.report && !sampled.reportError) fail(new FtpError('data connection closed by the server during the upload', 'closed'));
    });
    if (options.signal?.aborted) onAbort();
  });
}

/**
 * The fast path: the socket already reads into `sink`'s buffers (connect({ onread })). Resolves at
 * the server's end of data once every byte is on its way to the file, after sampling the report.
 */
export function receiveIntoFile(handle: FtpConnectionHandle, sink: FileSink, options: StreamOptions): Promise<StreamResult> {
  const socket = handle.socket;
  return new Promise((resolve, reject) => {
    let finished = false;
    // Everything the sink holds is this transfer's, also what arrived before we got here.
    const counted = () => sink.bytes;
    let seen = 0;
    const watch = watchIdle(options, () => {
      const now = counted();
      if (now !== seen) {
        seen = now;
        watch.touch();
      }
      return now;
    }, () => fail(new FtpError(`data connection idle for ${Math.round(options.idleTimeoutMs / 1000)} s`, 'timeout')));
    const onAbort = () => fail(new FtpError('transfer interrupted', 'aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    function cleanup() {
      finished = true;
      watch.stop();
      options.signal?.removeEventListener('abort', onAbort);
      sink.onError = undefined;
    }
    function fail(error: Error) {
      if (finished) return;
      cleanup();
      socket.destroy();
      reject(error);
    }
    sink.onError = (error) => fail(new FtpError(`writing the download: ${error.message}`, 'local', undefined, { cause: error }));
    sink.attach(socket);
    socket.once('end', () => {
      if (finished) return;
      cleanup();
      options.onProgress?.(counted());
      const sampled = sampleBeforeClose(handle);
      socket.destroy();
      resolve({ bytes: counted(), ...sampled });
    });
    socket.on('error', (error: Error) => fail(new FtpError(`data connection: ${error.message}`, 'closed', undefined, { cause: error })));
    socket.once('close', () => fail(new FtpError('data connection closed before the end of data', 'closed')));
    if (options.signal?.aborted) onAbort();
  });
}

/**
 * Uploads a file through a FileSource (no allocation per read), then ends the stream, samples the
 * report and waits (bounded) for the server to close its side, as sendFrom does.
 */
export function sendFileFrom(handle: FtpConnectionHandle, stream: net.Socket | tls.TLSSocket, source: FileSource, options: StreamOptions): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let finished = false;
    const stop = { stopped: false };
    let sampled: { report?: ConnectionReport; reportError?: string } = {};
    const watch = watchIdle(options, () => bytes, () => fail(new FtpError(`data connection stalled for ${Math.round(options.idleTimeoutMs / 1000)} s`, 'timeout')));
    const onAbort = () => fail(new FtpError('transfer interrupted', 'aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    function cleanup() {
      finished = true;
      stop.stopped = true;
      watch.stop();
      options.signal?.removeEventListener('abort', onAbort);
    }
    function fail(error: Error) {
      if (finished) return;
      cleanup();
      stream.destroy();
      handle.socket.destroy();
      reject(error);
    }
    function done() {
      if (finished) return;
      cleanup();
      options.onProgress?.(bytes);
      if (!sampled.report) sampled = sampleBeforeClose(handle);
      stream.destroy();
      handle.socket.destroy();
      resolve({ bytes, ...sampled });
    }
    stream.on('error', (error: Error) => fail(new FtpError(`data connection: ${error.message}`, 'closed', undefined, { cause: error })));
    stream.once('close', () => {
      if (!sampled.report && !sampled.reportError) fail(new FtpError('data connection closed by the server during the upload', 'closed'));
    });
    source
      .pump(stream, {
        onBytes: (count) => {
          bytes += count;
          watch.touch();
        },
        signal: stop,
      })
      .then(
        () => {
          if (finished) return;
          // Sample while the connection is surely up (the server may close right after our FIN).
          sampled = sampleBeforeClose(handle);
          stream.end(() => {
            const later = sampleBeforeClose(handle);
            if (later.report?.remote) sampled = later;
            const grace = setTimeout(done, Math.min(options.idleTimeoutMs, 10_000));
            grace.unref();
            stream.once('close', () => {
              clearTimeout(grace);
              done();
            });
            stream.once('end', () => {
              clearTimeout(grace);
              done();
            });
            stream.resume();
          });
        },
        (error: NodeJS.ErrnoException) => {
          const local = typeof error.syscall === 'string' && error.syscall === 'read';
          fail(new FtpError(local ? `reading the upload: ${error.message}` : `data connection: ${error.message}`, local ? 'local' : 'closed', undefined, { cause: error }));
        },
      );
    if (options.signal?.aborted) onAbort();
  });
}
