// SHA-256 of /probe/<size>, computed on first request and cached by size. Large sizes take
// seconds (1 GiB ~ 0.5-2 s), so we hash in slices and yield to the event loop between them:
// other clients keep being served while a digest is computed. Concurrent requests for one size share
// a job, and jobs run one at a time: asking for many huge .sha256 files cannot take every core.
import { createHash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { probeSegments } from '../protocol/probe-stream.js';

/** Bytes hashed between yields to the event loop. */
const SLICE = 16 << 20;

export class DigestCache {
  private readonly entries = new Map<number, Promise<string>>();
  /** The tail of the job queue. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly maxEntries = 64) {}

  /** Hex SHA-256 of the first `size` bytes of the probe stream. */
  digest(size: number): Promise<string> {
    const cached = this.entries.get(size);
    if (cached) {
      // Map order is insertion order: re-insert to keep recently used entries (a small LRU).
      this.entries.delete(size);
      this.entries.set(size, cached);
      return cached;
    }
    const job = this.queue.then(() => computeDigest(size));
    this.queue = job.catch(() => undefined);
    job.catch(() => this.entries.delete(size));
    this.entries.set(size, job);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return job;
  }
}

export async function computeDigest(size: number): Promise<string> {
  const hash = createHash('sha256');
  for (let start = 0; start < size; start += SLICE) {
    for (const segment of probeSegments(start, Math.min(size, start + SLICE))) hash.update(segment);
    if (start + SLICE < size) await yieldToLoop();
  }
  return hash.digest('hex');
}
