// A Writable that keeps only a SHA-256 and a byte count: probes verify data without touching disk.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';

export class HashSink extends Writable {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor() {
    super({ highWaterMark: 4 * 1024 * 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback();
  }

  digest(): string {
    return this.hash.copy().digest('hex');
  }
}

/** Collects a small download (a .sha256 file) in memory, refusing more than `limit` bytes. */
export class SmallSink extends Writable {
  private readonly chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly limit = 4096) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.length += chunk.length;
    if (this.length > this.limit) return callback(new Error(`more than ${this.limit} bytes`));
    this.chunks.push(chunk);
    callback();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
