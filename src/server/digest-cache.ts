// SHA-256 of /probe/<size>, the content of /probe/<size>.sha256 (docs/server.md, "Digest jobs").
// Hashing costs about 0.6 s of one core per GiB here, so it must never stall the server:
// - it runs on a worker thread, never on the thread that serves every client;
// - the worker hashes in slices (4 MiB, a few ms), each time for the job that has hashed the least so
//   far: a new job goes first until it catches up, so a client's small digest is never queued behind
//   another client's large one, and large jobs share the worker;
// - a job is cancelled when every client waiting for it has gone (left, ABOR, QUIT);
// - sizes above a cap are refused before any work;
// - finished digests are cached by size, and the worker keeps the hash state at every 256 MiB it
//   passed: a larger digest continues from there instead of starting again at byte 0.
import { createHash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { BLOCK_SIZE, blockRotation, probeBlock, probeSegments } from '../protocol/probe-stream.js';

/** Blocks (1 MiB) hashed in one go: a few ms, so the worker picks its next job often. */
const SLICE_BLOCKS = 4;
/** The worker keeps the hash state after every this many blocks (256 MiB). */
const CHECKPOINT_BLOCKS = 256;

/** The digest was not computed because the size is above the cap. */
export class DigestTooLarge extends Error {
  constructor(readonly size: number, readonly cap: number) {
    super(`digest of ${size} bytes refused: the cap is ${cap} bytes`);
    this.name = 'DigestTooLarge';
  }
}

/** The digest job was cancelled: every client that waited for it has gone. */
export class DigestCancelled extends Error {
  constructor() {
    super('digest cancelled');
    this.name = 'DigestCancelled';
  }
}

interface Job {
  id: number;
  size: number;
  waiters: number;
  promise: Promise<string>;
  resolve(hex: string): void;
  reject(error: Error): void;
}

export interface DigestServiceOptions {
  /** Largest size computed on request. */
  maxSize: number;
  /** Finished digests kept (a small LRU). */
  maxEntries?: number;
}

export class DigestService {
  private readonly done = new Map<number, string>();
  private readonly running = new Map<number, Job>();
  private readonly byId = new Map<number, Job>();
  private worker?: Worker;
  private nextId = 1;
  private closed = false;
  /** Jobs the worker has started since it was created (for tests and logs). */
  startedJobs = 0;

  constructor(private readonly options: DigestServiceOptions) {}

  get maxSize(): number {
    return this.options.maxSize;
  }

  /** Jobs in progress now. */
  get activeJobs(): number {
    return this.running.size;
  }

  /**
   * Hex SHA-256 of the first `size` bytes of the probe stream. Rejects with DigestTooLarge above the
   * cap (before any work) and with DigestCancelled when `signal` aborts; the job itself stops once no
   * caller waits for it any more.
   */
  digest(size: number, signal?: AbortSignal): Promise<string> {
    if (size > this.options.maxSize) return Promise.reject(new DigestTooLarge(size, this.options.maxSize));
    if (this.closed) return Promise.reject(new DigestCancelled());
    const cached = this.done.get(size);
    if (cached !== undefined) {
      // Map order is insertion order: re-insert to keep recently used entries.
      this.done.delete(size);
      this.done.set(size, cached);
      return Promise.resolve(cached);
    }
    if (signal?.aborted) return Promise.reject(new DigestCancelled());
    const job = this.running.get(size) ?? this.start(size);
    job.waiters += 1;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.leave(job);
        reject(new DigestCancelled());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      job.promise.then(
        (hex) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(hex);
        },
        (error: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /** Stops the worker; jobs in progress are cancelled. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.running.values()) job.reject(new DigestCancelled());
    this.running.clear();
    this.byId.clear();
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(size: number): Job {
    let resolve!: (hex: string) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<string>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may be left to handle a rejection (every waiter gone): never unhandled.
    promise.catch(() => undefined);
    const job: Job = { id: this.nextId++, size, waiters: 0, promise, resolve, reject };
    this.running.set(size, job);
    this.byId.set(job.id, job);
    this.startedJobs += 1;
    const blocks = Math.ceil(size / BLOCK_SIZE);
    const rotations = new Uint32Array(blocks);
    for (let i = 0; i < blocks; i += 1) rotations[i] = blockRotation(i);
    this.ensureWorker().postMessage({ type: 'start', id: job.id, size, rotations }, [rotations.buffer]);
    return job;
  }

  /** A caller stopped waiting; the last one leaving cancels the job. */
  private leave(job: Job): void {
    job.waiters -= 1;
    if (job.waiters > 0 || this.byId.get(job.id) !== job) return;
    this.forget(job);
    this.worker?.postMessage({ type: 'cancel', id: job.id });
    job.reject(new DigestCancelled());
  }

  private forget(job: Job): void {
    this.byId.delete(job.id);
    if (this.running.get(job.size) === job) this.running.delete(job.size);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // The worker is a self-contained script (eval): it then runs the same from the TypeScript
    // sources (tests), the compiled files and the bundle, which have no common file layout.
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { block: probeBlock(), sliceBlocks: SLICE_BLOCKS, checkpointBlocks: CHECKPOINT_BLOCKS, blockSize: BLOCK_SIZE },
    });
    // An idle worker must not keep the process alive.
    worker.unref();
    worker.on('message', (message: { type: 'done'; id: number; hex: string }) => {
      const job = this.byId.get(message.id);
      if (!job) return;
      this.forget(job);
      this.done.set(job.size, message.hex);
      while (this.done.size > (this.options.maxEntries ?? 64)) this.done.delete(this.done.keys().next().value!);
      job.resolve(message.hex);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const job of this.byId.values()) job.reject(error);
      this.byId.clear();
      this.running.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`digest worker exited (${code})`));
    });
    this.worker = worker;
    return worker;
  }
}

/**
 * The worker: one slice at a time for the job that has hashed the fewest blocks so far (least
 * attained service: short jobs finish first, long ones share), yielding between slices so cancel
 * messages get through. Block i of the probe stream is the base block rotated by rotations[i] (see
 * probe-stream.ts); the main thread sends the rotations, so the stream's definition lives in one place.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { sliceBlocks, checkpointBlocks, blockSize } = workerData;
const block = Buffer.from(workerData.block.buffer, workerData.block.byteOffset, workerData.block.byteLength);
const checkpoints = new Map();
const jobs = new Map();
let scheduled = false;

function rotated(hash, rotation, length) {
  const first = Math.min(length, blockSize - rotation);
  hash.update(block.subarray(rotation, rotation + first));
  if (length > first) hash.update(block.subarray(0, length - first));
}

function start(message) {
  const whole = Math.floor(message.size / blockSize);
  let from = 0;
  for (const at of checkpoints.keys()) if (at <= whole && at > from) from = at;
  const hash = from > 0 ? checkpoints.get(from).copy() : createHash('sha256');
  jobs.set(message.id, { size: message.size, rotations: message.rotations, whole, next: from, hashed: 0, hash });
  schedule();
}

function step() {
  scheduled = false;
  let id;
  let job;
  for (const [candidate, entry] of jobs) {
    if (job === undefined || entry.hashed < job.hashed) {
      id = candidate;
      job = entry;
    }
  }
  if (job === undefined) return;
  for (let n = 0; n < sliceBlocks && job.next < job.whole; n += 1) {
    rotated(job.hash, job.rotations[job.next], blockSize);
    job.next += 1;
    job.hashed += 1;
    if (job.next % checkpointBlocks === 0 && !checkpoints.has(job.next)) checkpoints.set(job.next, job.hash.copy());
  }
  if (job.next >= job.whole) {
    const tail = job.size - job.whole * blockSize;
    if (tail > 0) rotated(job.hash, job.rotations[job.whole], tail);
    jobs.delete(id);
    parentPort.postMessage({ type: 'done', id, hex: job.hash.digest('hex') });
  }
  schedule();
}

function schedule() {
  if (scheduled || jobs.size === 0) return;
  scheduled = true;
  setImmediate(step);
}

parentPort.on('message', (message) => {
  if (message.type === 'start') start(message);
  else if (message.type === 'cancel') jobs.delete(message.id);
});
`;

/**
 * The digest on the calling thread, in slices with yields between them: for tests and one-off
 * use, where a worker is not worth starting. The server uses DigestService.
 */
export async function computeDigest(size: number): Promise<string> {
  const slice = 16 << 20;
  const hash = createHash('sha256');
  for (let start = 0; start < size; start += slice) {
    for (const segment of probeSegments(start, Math.min(size, start + slice))) hash.update(segment);
    if (start + slice < size) await yieldToLoop();
  }
  return hash.digest('hex');
}
