// Long-running programs in a namespace (servers): output kept in memory, wait for a listening port
// or a line of output, stop with SIGTERM then SIGKILL, and wait until the pid is really gone.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResultPromise } from 'execa';
import { execIn, resultOf, spawnIn, type ExecResult } from './exec.js';

const OUTPUT_LIMIT = 1 << 20;

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
}

export class LabProcess {
  readonly pid: number;
  readonly done: Promise<ExecResult>;
  private stdoutText = '';
  private stderrText = '';
  private finished: ExecResult | undefined;

  constructor(readonly ns: string | undefined, readonly argv: string[], options: SpawnOptions = {}) {
    const child: ResultPromise = spawnIn(ns, argv, options);
    if (child.pid === undefined) {
      // execa reports spawn errors through the promise; make them visible right here.
      child.catch(() => undefined);
      throw new Error(`lab: could not start \`${argv.join(' ')}\``);
    }
    this.pid = child.pid;
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => { this.stdoutText = keepTail(this.stdoutText + chunk); });
    child.stderr?.on('data', (chunk: string) => { this.stderrText = keepTail(this.stderrText + chunk); });
    this.done = child.then(
      (r) => this.finish(r),
      (error: unknown) => this.finish(error),
    );
    this.child = child;
  }

  private readonly child: ResultPromise;

  private finish(r: unknown): ExecResult {
    const result = resultOf(this.argv, r);
    this.finished = { ...result, stdout: this.stdoutText, stderr: this.stderrText };
    return this.finished;
  }

  get exited(): boolean {
    return this.finished !== undefined;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Resolves with the result when the program exits; rejects after timeoutMs (the program keeps running). */
  async wait(timeoutMs = 10_000): Promise<ExecResult> {
    const timer = sleep(timeoutMs, 'timeout' as const, { ref: false });
    const winner = await Promise.race([this.done, timer]);
    if (winner === 'timeout') throw new Error(`lab: \`${this.argv.join(' ')}\` still running after ${timeoutMs} ms`);
    return winner;
  }

  /** Waits until something listens on TCP/MPTCP port `port` in the namespace. */
  async waitForPort(port: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.finished) throw new Error(`lab: \`${this.argv.join(' ')}\` exited before listening on ${port}: ${this.describeEnd()}`);
      const r = await execIn(this.ns, ['ss', '-Hlnt', 'sport', '=', `:${port}`], { timeoutMs: 2000 });
      if (r.ok && r.stdout.trim() !== '') return;
      if (Date.now() > deadline) throw new Error(`lab: nothing listens on port ${port} after ${timeoutMs} ms (${this.argv[0]})`);
      await sleep(25);
    }
  }

  /** Waits until stdout+stderr match `pattern`. */
  async waitForOutput(pattern: RegExp | string, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.stdoutText + this.stderrText;
      const match = typeof pattern === 'string' ? (text.includes(pattern) ? pattern : undefined) : pattern.exec(text)?.[0];
      if (match !== undefined) return match;
      if (this.finished) throw new Error(`lab: \`${this.argv.join(' ')}\` exited without printing ${String(pattern)}: ${this.describeEnd()}`);
      if (Date.now() > deadline) throw new Error(`lab: no ${String(pattern)} from ${this.argv[0]} after ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  /**
   * Stops the process's descendants (a forking server's sessions, a shell's children), deepest
   * first, each while its parent still lives so that the parent reaps it: killed all at once,
   * orphans become zombies of pid 1, which on this VM (process_api) reaps them only every second
   * or so. SIGTERM, then SIGKILL after 100 ms (vsftpd's unprivileged session process ignores
   * SIGTERM mid-transfer).
   */
  async stopDescendants(): Promise<void> {
    for (const pid of descendants(this.pid).reverse()) {
      signal(pid, 'SIGTERM');
      if ((await waitGone([pid], 100)).length === 0) continue;
      signal(pid, 'SIGKILL');
      await waitGone([pid], 500);
    }
  }

  /**
   * Descendants first (stopDescendants: they hold our output pipes open too), then the process:
   * SIGTERM, SIGKILL after graceMs; resolves once every pid is gone and the process is reaped.
   * Idempotent.
   */
  async stop(graceMs = 2000): Promise<ExecResult> {
    await this.stopDescendants();
    const tree = this.finished ? descendants(this.pid) : [this.pid, ...descendants(this.pid)];
    tree.forEach((pid) => signal(pid, 'SIGTERM'));
    let left = await waitGone(tree, graceMs);
    left.forEach((pid) => signal(pid, 'SIGKILL'));
    left = await waitGone(left, 2000);
    const survivors = left.filter((pid) => !isZombie(pid));
    if (survivors.length > 0) throw new Error(`lab: pids ${survivors.join(',')} survived SIGKILL (${this.argv[0]})`);
    const timer = sleep(2000, 'timeout' as const, { ref: false });
    const result = await Promise.race([this.done, timer]);
    if (result === 'timeout') throw new Error(`lab: \`${this.argv.join(' ')}\` is gone but its output pipes stay open`);
    return result;
  }

  private describeEnd(): string {
    const f = this.finished!;
    const tail = (f.stderr || f.stdout).trim().split('\n').slice(-3).join(' | ');
    return `exit ${f.exitCode ?? f.signal}${tail ? `: ${tail}` : ''}`;
  }

  /** For synchronous emergency cleanup. */
  killNow(): void {
    if (!this.finished) signal(this.pid, 'SIGKILL');
    this.child.kill('SIGKILL');
  }
}

function keepTail(text: string): string {
  return text.length > OUTPUT_LIMIT ? text.slice(-OUTPUT_LIMIT) : text;
}

export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** A zombie: dead, waiting for its parent (or pid 1) to reap it; it holds no sockets or files. */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/** Every descendant of pid now (from /proc/<pid>/task/<tid>/children). */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift()!;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${current}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      let text = '';
      try {
        text = readFileSync(`/proc/${current}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of text.trim().split(/\s+/).filter((t) => t !== '').map(Number)) {
        if (!found.includes(child)) {
          found.push(child);
          queue.push(child);
        }
      }
    }
  }
  return found;
}

/** Polls /proc until every pid has disappeared (zombies count as present until reaped). */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter((pid) => existsSync(`/proc/${pid}`));
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(20);
  }
}
