// The data timeout as time without progress: a transfer is aborted only when nothing moved for the
// whole timeout, never because a buffer or the final delivery takes long on a slow path. What
// "moved" means is the caller's (a key that changes whenever a byte moved); this only watches it.

export class StallWatch {
  private lastKey: string;
  private lastChange = performance.now();
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  /**
   * Starts watching. `onStall` runs once, with the time without progress, when `key()` returned the
   * same value for `timeoutMs`. Checked every eighth of the timeout (10 ms to 1 s): a getsockopt or
   * two per check, nothing per byte.
   */
  constructor(private readonly key: () => string, readonly timeoutMs: number, private readonly onStall: (idleMs: number) => void) {
    this.lastKey = key();
    const every = Math.min(1000, Math.max(10, Math.floor(timeoutMs / 8)));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
  }

  /** Milliseconds since the key last changed. */
  get idleMs(): number {
    return performance.now() - this.lastChange;
  }

  check(): void {
    if (this.stopped) return;
    const key = this.key();
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastChange = performance.now();
      return;
    }
    const idle = this.idleMs;
    if (idle >= this.timeoutMs) {
      this.stop();
      this.onStall(idle);
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}
