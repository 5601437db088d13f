// A download's destination file, fed two ways. Fast path (plain passive downloads): the socket
// reads straight into a small ring of buffers (Node's onread) and each filled buffer is written
// with a positioned fs.write; reading pauses only when every buffer is still being written, so
// the socket is drained as fast as the disk allows and nothing is allocated per read (a 1 GiB
// download otherwise churns 16k short-lived 64 KiB buffers and tens of MB of garbage).
// Other paths (TLS, active mode) use writable(): a plain write stream on the same fd.
import { close, createWriteStream, write } from 'node:fs';
import type net from 'node:net';
import type { Writable } from 'node:stream';

export interface FileSinkOptions {
  /** Buffers in the ring (default 8). */
  buffers?: number;
  /** Bytes per buffer: the most one read returns (default 1 MiB). */
  bufferBytes?: number;
}

export class FileSink {
  /** Bytes written or being written through this sink. */
  bytes = 0;
  /** Times reading paused because the whole ring was still being written (a slow disk). */
  pauses = 0;
  private position: number;
  private readonly pool: Buffer[];
  private readonly busy: boolean[];
  private given = -1;
  private pending = 0;
  private paused = false;
  private socket: net.Socket | undefined;
  private failure: Error | undefined;
  private idle: Array<() => void> = [];
  private stream: Writable | undefined;
  /** Told about a write failure (the transfer fails on it). */
  onError: ((error: Error) => void) | undefined;

  constructor(readonly fd: number, start: number, options: FileSinkOptions = {}) {
    this.position = start;
    const count = Math.max(2, options.buffers ?? 8);
    this.pool = Array.from({ length: count }, () => Buffer.allocUnsafe(options.bufferBytes ?? 1024 * 1024));
    this.busy = this.pool.map(() => false);
  }

  get error(): Error | undefined {
    return this.failure;
  }

  /** For connect({ onread }): buffers handed out round-robin, so the next is the oldest written. */
  get onread(): net.OnReadOpts {
    return {
      buffer: () => {
        this.given = (this.given + 1) % this.pool.length;
        return this.pool[this.given]!;
      },
      callback: (length: number, buffer: Uint8Array) => this.filled(length, buffer as Buffer),
    };
  }

  /** The socket the ring feeds; needed to resume reading after a pause. */
  attach(socket: net.Socket): void {
    this.socket = socket;
    // The ring may have filled before the socket was known: resume if a buffer is free by now.
    if (this.paused && !this.failure && !this.busy[this.given]) {
      this.paused = false;
      socket.resume();
    }
  }

  /** A write stream on the same fd, from the current position, for the paths without onread. */
  writable(): Writable {
    this.stream ??= createWriteStream('', { fd: this.fd, start: this.position, autoClose: false, highWaterMark: 4 * 1024 * 1024 });
    return this.stream;
  }

  /** Resolves when every write has reached the file; rejects with the first write error. */
  async flush(): Promise<void> {
    if (this.stream) {
      const stream = this.stream;
      await new Promise<void>((resolve, reject) => {
        stream.once('error', reject);
        stream.end(() => resolve());
      });
    }
    if (this.pending > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.failure) throw this.failure;
  }

  /** Closes the fd after pending writes (never throws). */
  async close(): Promise<void> {
    try {
      await this.flush();
    } catch {
      // the transfer reported it
    }
    await new Promise<void>((resolve) => close(this.fd, () => resolve()));
  }

  private filled(length: number, buffer: Buffer): boolean {
    const index = this.pool.indexOf(buffer);
    if (this.failure || index < 0) return false;
    this.busy[index] = true;
    this.pending += 1;
    this.bytes += length;
    const at = this.position;
    this.position += length;
    this.writeAll(buffer, 0, length, at, index);
    // Node asks for the next buffer right after this callback: the next one in the ring. Pause
    // while it is still being written; done() resumes when it is free.
    if (this.busy[(this.given + 1) % this.pool.length]) {
      this.paused = true;
      this.pauses += 1;
      return false;
    }
    return true;
  }

  private writeAll(buffer: Buffer, offset: number, length: number, position: number, index: number): void {
    write(this.fd, buffer, offset, length, position, (error, written) => {
      if (error) return this.done(index, error);
      if (written < length) return this.writeAll(buffer, offset + written, length - written, position + written, index);
      this.done(index);
    });
  }

  private done(index: number, error?: Error): void {
    this.busy[index] = false;
    this.pending -= 1;
    if (error && !this.failure) {
      this.failure = error;
      this.onError?.(error);
    }
    if (this.paused && !this.failure && !this.busy[this.given]) {
      this.paused = false;
      this.socket?.resume();
    }
    if (this.pending === 0) {
      const waiting = this.idle;
      this.idle = [];
      waiting.forEach((resolve) => resolve());
    }
  }
}
