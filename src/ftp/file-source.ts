// An upload's source file, the mirror of FileSink: a few preallocated buffers filled by positioned
// fs.read and handed to the data stream with write(chunk, callback); a buffer is reused only after
// its write callback (the socket holds it until then). Nothing is allocated per read: reading a
// 1 GiB file through createReadStream churned 1024 short-lived 1 MiB buffers and ~30 MB of garbage.
import { close, read } from 'node:fs';
import type { Writable } from 'node:stream';

export interface FileSourceOptions {
  /** Buffers in the ring (default 4). */
  buffers?: number;
  /** Bytes per read (default 1 MiB). */
  bufferBytes?: number;
}

export class FileSource {
  private readonly pool: Buffer[];

  constructor(readonly fd: number, readonly start: number, options: FileSourceOptions = {}) {
    this.pool = Array.from({ length: Math.max(1, options.buffers ?? 4) }, () => Buffer.allocUnsafe(options.bufferBytes ?? 1024 * 1024));
  }

  /**
   * Writes the file from `start` to its end into `stream` (not ended). One read at a time, up to
   * all buffers in flight in the stream. `onBytes` counts each chunk as it is handed over.
   */
  pump(stream: Writable, hooks: { onBytes(count: number): void; signal: { stopped: boolean } }): Promise<void> {
    return new Promise((resolve, reject) => {
      const free = [...this.pool];
      let position = this.start;
      let reading = false;
      let ended = false;
      let inFlight = 0;
      let failed = false;
      const fail = (error: Error) => {
        if (failed) return;
        failed = true;
        reject(error);
      };
      const finishIfDone = () => {
        if (ended && inFlight === 0 && !failed) resolve();
      };
      const next = () => {
        if (reading || ended || failed || hooks.signal.stopped || free.length === 0) return;
        reading = true;
        const buffer = free.pop()!;
        read(this.fd, buffer, 0, buffer.length, position, (error, count) => {
          reading = false;
          if (error) return fail(error);
          if (hooks.signal.stopped) return;
          if (count === 0) {
            ended = true;
            free.push(buffer);
            return finishIfDone();
          }
          position += count;
          inFlight += 1;
          hooks.onBytes(count);
          stream.write(count === buffer.length ? buffer : buffer.subarray(0, count), (writeError) => {
            inFlight -= 1;
            free.push(buffer);
            if (writeError) return fail(writeError);
            next();
            finishIfDone();
          });
          next();
        });
      };
      next();
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => close(this.fd, () => resolve()));
  }
}
