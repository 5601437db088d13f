// What the CLI convention tables (test/cli/conventions*.test.ts) share: the servers they run the
// installed CLI against, and the helpers that run it and read its output. `serve` runs in a network
// namespace of its own (no other traffic in its counters); small FTP servers on loopback move data
// slowly enough to be watched and interrupted. Each test file starts its own set, with namespaces
// named after it, so the files can run side by side.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, expect } from 'vitest';
import { requireDist } from '../../support/dist.js';
import { missingRequirement } from '../../support/gate.js';
import { createNetns, type Netns } from '../../support/netns.js';
import { startSlowFtpServer, type SlowFtpServer } from '../../support/slow-ftp-server.js';

export const skip = missingRequirement('CLI conventions', 'root', 'netns', 'tool:iptables', 'tool:nsenter', 'tool:python3');
export const cli = skip ? '' : requireDist();

export type Where = 'host' | 'ready' | 'off' | 'dropped';

// Set by the beforeAll of useConventionsLab (read through these live bindings once it has run).
/** The scratch directory every command runs in. */
export let dir: string;
/** MPTCP on, `serve` on 127.0.0.1:2121. */
export let ready: Netns;
/** net.mptcp.enabled = 0: check fails, fix has a plan. */
export let off: Netns;
/** SYNs on loopback are dropped: a connect (or check's self-test) hangs until interrupted. */
export let dropped: Netns;
let serve: ResultPromise;
/** 30 MB at 1 MB/s: still running when a test interrupts it. */
export let slow: SlowFtpServer;
/** 3 MB at 1.5 MB/s: two seconds of progress bar. */
export let paced: SlowFtpServer;
/** Small and quick, and it wants the password "s3cret". */
export let locked: SlowFtpServer;
export let closedPort: number;
/** A plain TCP server that greets: MPTCP falls back against it. */
let plain: net.Server;
export let plainPort: number;
const plainSockets = new Set<net.Socket>();

export function argvFor(args: string[], where: Where = 'host', node: string[] = []): string[] {
  const run = ['node', ...node, cli, ...args];
  if (where === 'host') return run;
  const ns = { ready, off, dropped }[where];
  return ['nsenter', `--net=/run/netns/${ns.name}`, ...run];
}

/** The environment of every run: no ~/.netrc of the machine's, no colour preference inherited. */
export function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NETRC: path.join(dir, 'no-netrc'), TERM: 'xterm-256color' };
  return { ...base, ...extra };
}

export const serveUrl = (file: string) => `ftp://127.0.0.1:2121/${file}`;
export const local = (name: string) => path.join(dir, name);

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

async function waitForLine(child: ResultPromise, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${seen}`)), timeoutMs);
    const look = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
  });
}

/** Starts the DROP rule's packet count from 0, before the next command runs. */
export function zeroDrops(): void {
  execFileSync('ip', ['netns', 'exec', dropped.name, 'iptables', '-Z', 'OUTPUT']);
}

/** Packets the DROP rule of the `dropped` namespace has caught: the command is past its start-up. */
function droppedPackets(): number {
  const text = execFileSync('ip', ['netns', 'exec', dropped.name, 'iptables', '-L', 'OUTPUT', '-v', '-x', '-n'], { encoding: 'utf8' });
  const rule = text.split('\n').find((line) => line.includes('DROP'));
  return Number(rule?.trim().split(/\s+/)[0] ?? 0);
}

export async function untilDropped(timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (droppedPackets() === 0) {
    if (Date.now() > deadline) throw new Error('no SYN reached the DROP rule');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits (bounded) until a transfer that started after `count` earlier ones has moved `bytes`: the
 * command is surely running (an earlier, interrupted transfer may still drain into the server).
 */
export async function untilNewTransfer(transfers: () => number[], count: number, bytes: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(transfers().length > count && transfers().at(-1)! >= bytes)) {
    if (Date.now() > deadline) throw new Error(`no new transfer of ${bytes} bytes: ${transfers().join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function untilSize(file: string, bytes: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(file) && statSync(file).size >= bytes)) {
    if (Date.now() > deadline) throw new Error(`${file} did not reach ${bytes} bytes`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function sysctl(ns: Netns, key: string): string {
  return execFileSync('ip', ['netns', 'exec', ns.name, 'sysctl', '-n', key], { encoding: 'utf8' }).trim();
}

/**
 * Starts the namespaces and servers before the file's tests and removes them after. `label` names
 * the namespaces (`<label>-ready`...): each file gives its own.
 */
export function useConventionsLab(label: string): void {
  beforeAll(async () => {
    if (skip) return;
    dir = mkdtempSync(path.join(tmpdir(), `md-${label}-`));
    writeFileSync(path.join(dir, 'upload.bin'), Buffer.alloc(1 << 20, 7));
    writeFileSync(path.join(dir, 'big-upload.bin'), Buffer.alloc(30_000_000, 7));
    ready = await createNetns(`${label}-ready`);
    off = await createNetns(`${label}-off`);
    await off.exec(['sysctl', '-qw', 'net.mptcp.enabled=0']);
    dropped = await createNetns(`${label}-dropped`);
    await dropped.exec(['iptables', '-A', 'OUTPUT', '-o', 'lo', '-p', 'tcp', '--syn', '-j', 'DROP']);
    const serveArgv = argvFor(['serve', '--listen', '127.0.0.1:2121'], 'ready');
    serve = execa(serveArgv[0]!, serveArgv.slice(1), { reject: false, env: env() });
    await waitForLine(serve, /serving ftp:/);
    [slow, paced, locked] = await Promise.all([
      startSlowFtpServer({ size: 30_000_000, bytesPerSecond: 1_000_000 }),
      startSlowFtpServer({ size: 3_000_000, bytesPerSecond: 1_500_000 }),
      startSlowFtpServer({ size: 65_536, bytesPerSecond: 10_000_000, password: 's3cret' }),
    ]);
    const probe = net.createServer();
    closedPort = await listen(probe);
    await new Promise((resolve) => probe.close(resolve));
    plain = net.createServer((socket) => {
      plainSockets.add(socket);
      socket.on('error', () => undefined);
      socket.write('220 plain TCP here\r\n');
    });
    plainPort = await listen(plain);
  });

  afterAll(async () => {
    if (skip) return;
    serve?.kill('SIGTERM');
    await serve;
    for (const socket of plainSockets) socket.destroy();
    await new Promise((resolve) => plain?.close(resolve));
    await Promise.all([slow?.close(), paced?.close(), locked?.close()]);
    await Promise.all([ready?.destroy(), off?.destroy(), dropped?.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  });
}

export type Matcher = string | RegExp | ((text: string) => void);

export function expectText(text: string, expected: Matcher | undefined, what: string): void {
  if (expected === undefined) return;
  if (typeof expected === 'function') expected(text);
  else if (typeof expected === 'string') expect(text, what).toBe(expected);
  else expect(text, what).toMatch(expected);
}

/** Exactly one line, matching. */
export function oneLine(pattern: RegExp): (text: string) => void {
  return (text) => {
    expect(text.trimEnd().split('\n'), `one line: ${text}`).toHaveLength(1);
    expect(text.trimEnd()).toMatch(pattern);
  };
}
