// Source files for uploads: random bytes (nothing on the way can compress them) on tmpfs.
import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

export function writeRandomFile(file: string, size: number): void {
  const fd = openSync(file, 'w', 0o644);
  try {
    const chunk = Buffer.allocUnsafe(Math.min(size, 1 << 20));
    let left = size;
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      randomFillSync(chunk, 0, n);
      writeSync(fd, chunk, 0, n);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}
