// The conventions every command keeps (docs/architecture.md, "Conventions"), one row per case:
// exit codes, the one-line errors, what goes to stdout and stderr, and, on a real pseudo-terminal
// (test/support/pty.ts), what only a terminal shows: progress, the password prompt, colour, Ctrl-C.
// Everything runs the installed CLI against real servers: `serve` in a network namespace of its
// own (no other traffic in its counters), and small FTP servers on loopback that move data slowly
// enough to be watched and interrupted.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { createNetns, type Netns } from '../support/netns.js';
import { frames, spawnPty, stripAnsi, type PtyOptions, type PtyResult, type PtySession } from '../support/pty.js';
import { startSlowFtpServer, type SlowFtpServer } from '../support/slow-ftp-server.js';

const skip = missingRequirement('CLI conventions', 'root', 'netns', 'tool:iptables', 'tool:nsenter', 'tool:python3');
const cli = skip ? '' : requireDist();
const fault = path.join(import.meta.dirname, 'fixtures', 'internal-fault.mjs');

type Where = 'host' | 'ready' | 'off' | 'dropped';

let dir: string;
/** MPTCP on, `serve` on 127.0.0.1:2121. */
let ready: Netns;
/** net.mptcp.enabled = 0: check fails, fix has a plan. */
let off: Netns;
/** SYNs on loopback are dropped: a connect (or check's self-test) hangs until interrupted. */
let dropped: Netns;
let serve: ResultPromise;
/** 30 MB at 1 MB/s: still running when a test interrupts it. */
let slow: SlowFtpServer;
/** 3 MB at 1.5 MB/s: two seconds of progress bar. */
let paced: SlowFtpServer;
/** Small and quick, and it wants the password "s3cret". */
let locked: SlowFtpServer;
let closedPort: number;
/** A plain TCP server that greets: MPTCP falls back against it. */
let plain: net.Server;
let plainPort: number;
const plainSockets = new Set<net.Socket>();

function argvFor(args: string[], where: Where = 'host', node: string[] = []): string[] {
  const run = ['node', ...node, cli, ...args];
  if (where === 'host') return run;
  const ns = { ready, off, dropped }[where];
  return ['nsenter', `--net=/run/netns/${ns.name}`, ...run];
}

/** The environment of every run: no ~/.netrc of the machine's, no colour preference inherited. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NETRC: path.join(dir, 'no-netrc'), TERM: 'xterm-256color' };
  return { ...base, ...extra };
}

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
function zeroDrops(): void {
  execFileSync('ip', ['netns', 'exec', dropped.name, 'iptables', '-Z', 'OUTPUT']);
}

/** Packets the DROP rule of the `dropped` namespace has caught: the command is past its start-up. */
function droppedPackets(): number {
  const text = execFileSync('ip', ['netns', 'exec', dropped.name, 'iptables', '-L', 'OUTPUT', '-v', '-x', '-n'], { encoding: 'utf8' });
  const rule = text.split('\n').find((line) => line.includes('DROP'));
  return Number(rule?.trim().split(/\s+/)[0] ?? 0);
}

async function untilDropped(timeoutMs = 15_000): Promise<void> {
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
async function untilNewTransfer(transfers: () => number[], count: number, bytes: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(transfers().length > count && transfers().at(-1)! >= bytes)) {
    if (Date.now() > deadline) throw new Error(`no new transfer of ${bytes} bytes: ${transfers().join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function untilSize(file: string, bytes: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(file) && statSync(file).size >= bytes)) {
    if (Date.now() > deadline) throw new Error(`${file} did not reach ${bytes} bytes`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function sysctl(ns: Netns, key: string): string {
  return execFileSync('ip', ['netns', 'exec', ns.name, 'sysctl', '-n', key], { encoding: 'utf8' }).trim();
}

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(tmpdir(), 'md-conventions-'));
  writeFileSync(path.join(dir, 'upload.bin'), Buffer.alloc(1 << 20, 7));
  writeFileSync(path.join(dir, 'big-upload.bin'), Buffer.alloc(30_000_000, 7));
  ready = await createNetns('ready');
  off = await createNetns('off');
  await off.exec(['sysctl', '-qw', 'net.mptcp.enabled=0']);
  dropped = await createNetns('dropped');
  await dropped.exec(['iptables', '-A', 'OUTPUT', '-o', 'lo', '-p', 'tcp', '--syn', '-j', 'DROP']);
  serve = execa(argvFor(['serve', '--listen', '127.0.0.1:2121'], 'ready')[0]!, argvFor(['serve', '--listen', '127.0.0.1:2121'], 'ready').slice(1), {
    reject: false,
    env: env(),
  });
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

type Matcher = string | RegExp | ((text: string) => void);

function expectText(text: string, expected: Matcher | undefined, what: string): void {
  if (expected === undefined) return;
  if (typeof expected === 'function') expected(text);
  else if (typeof expected === 'string') expect(text, what).toBe(expected);
  else expect(text, what).toMatch(expected);
}

/** Exactly one line, matching. */
function oneLine(pattern: RegExp): (text: string) => void {
  return (text) => {
    expect(text.trimEnd().split('\n'), `one line: ${text}`).toHaveLength(1);
    expect(text.trimEnd()).toMatch(pattern);
  };
}

interface Case {
  name: string;
  args: () => string[];
  where?: Where;
  env?: () => Record<string, string>;
  /** Piped to stdin. */
  input?: string;
  /** node options (a preloaded fault). */
  node?: string[];
  code: number;
  stdout?: Matcher;
  stderr?: Matcher;
  /** More checks: files, what a server received. */
  after?: () => void;
}

const serveUrl = (file: string) => `ftp://127.0.0.1:2121/${file}`;
const local = (name: string) => path.join(dir, name);

/** Rows without a terminal: what scripts see. */
const cases: Case[] = [
  // Commands and help
  { name: 'a mistyped command gets a suggestion', args: () => ['prboe'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: unknown command "prboe"; did you mean "probe"\?/) },
  { name: 'another typo: conect', args: () => ['conect', '127.0.0.1:1'], code: 2, stdout: '', stderr: oneLine(/did you mean "connect"\?/) },
  { name: 'a word far from every command: no guess', args: () => ['xyzzy'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: unknown command "xyzzy" \(mptcp-doctor --help lists the commands\)$/) },
  { name: 'an unknown option', args: () => ['check', '--bogus'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: Unknown argument: bogus$/) },
  {
    name: 'help get is get --help',
    args: () => ['help', 'get'],
    code: 0,
    stdout: (text) => {
      expect(text).toMatch(/^mptcp-doctor get <url> \[file\]/);
      expect(text).toBe(execFileSync('node', [cli, 'get', '--help'], { encoding: 'utf8' }));
    },
    stderr: '',
  },
  { name: 'help alone is --help', args: () => ['help'], code: 0, stdout: /^mptcp-doctor \[command\][\s\S]*Commands:[\s\S]*mptcp-doctor probe <url>/, stderr: '' },
  { name: '--no-color is an option', args: () => ['check', '--only', 'sysctl.enabled', '--no-color'], where: 'ready', code: 0, stdout: /^MPTCP is ready on this host/, stderr: '' },
  // An internal error: a plain Error no module knows, thrown while the command runs.
  {
    name: 'an internal fault: exit 70 and please report',
    args: () => ['check'],
    node: ['--import', fault],
    code: 70,
    stdout: '',
    stderr: (text) => {
      expect(text).toBe(
        'mptcp-doctor: internal error: injected fault\n' +
          'mptcp-doctor: this is a bug in mptcp-doctor: please report it, with the output of the same command run with --debug\n',
      );
    },
  },

  // check and fix
  { name: 'check: one-line verdict first, then the table (ready)', args: () => ['check', '--only', 'sysctl.enabled,socket.mptcp'], where: 'ready', code: 0, stdout: /^MPTCP is ready on this host: 2 checks passed\n\nPASS /, stderr: '' },
  {
    name: 'check: one-line verdict first (not ready: exit 1)',
    args: () => ['check', '--only', 'sysctl.enabled'],
    where: 'off',
    code: 1,
    stdout: /^MPTCP is not ready on this host: 1 check \(sysctl\.enabled\) failed\n\nFAIL /,
    stderr: '',
  },
  { name: 'check: unknown check id', args: () => ['check', '--only', 'nosuch'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: unknown check id nosuch/) },
  {
    name: 'fix --dry-run: the plan, nothing changed, exit 0',
    args: () => ['fix', '--dry-run', '--only', 'sysctl.enabled'],
    where: 'off',
    code: 0,
    stdout: /net\.mptcp\.enabled\s+0 -> 1/,
    after: () => expect(sysctl(off, 'net.mptcp.enabled')).toBe('0'),
  },
  {
    name: 'fix --dry-run --persist-file: shows the drop-in (the file implies --persist)',
    args: () => ['fix', '--dry-run', '--only', 'sysctl.enabled', '--persist-file', local('99-mptcp.conf')],
    where: 'off',
    code: 0,
    stdout: /Would write .*99-mptcp\.conf:\n[\s\S]*net\.mptcp\.enabled ?= ?1/,
    after: () => expect(existsSync(local('99-mptcp.conf'))).toBe(false),
  },
  {
    name: 'fix without a terminal and without --yes: usage error, nothing changed',
    args: () => ['fix', '--only', 'sysctl.enabled'],
    where: 'off',
    code: 2,
    stderr: oneLine(/^mptcp-doctor: not a terminal: pass --yes/),
    after: () => expect(sysctl(off, 'net.mptcp.enabled')).toBe('0'),
  },

  // connect
  { name: 'connect: MPTCP held, exit 0', args: () => ['connect', '127.0.0.1:2121'], where: 'ready', code: 0, stdout: /^127\.0\.0\.1:2121: MPTCP, 1 subflow\n/, stderr: '' },
  { name: 'connect --tcp: plain TCP as asked, exit 0', args: () => ['connect', '--tcp', '127.0.0.1:2121'], where: 'ready', code: 0, stdout: /^127\.0\.0\.1:2121: plain TCP\n/, stderr: '' },
  { name: 'connect to a plain TCP server: fell back, exit 1', args: () => ['connect', `127.0.0.1:${plainPort}`], code: 1, stdout: /: fell back to TCP\n[\s\S]*note: no MP_CAPABLE in the reply/, stderr: '' },
  { name: 'connect refused: exit 4', args: () => ['connect', `127.0.0.1:${closedPort}`], code: 4, stdout: '', stderr: oneLine(/^mptcp-doctor: connect to 127\.0\.0\.1:\d+: connection refused$/) },
  { name: 'connect -6 with an IPv4 address: usage', args: () => ['connect', '-6', '127.0.0.1:21'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: -6 asks for IPv6, but 127\.0\.0\.1 is an IPv4 address$/) },
  { name: 'connect -4 with an IPv6 address: usage', args: () => ['connect', '-4', '[::1]:21'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: -4 asks for IPv4, but ::1 is an IPv6 address$/) },
  { name: 'connect --timeout 0: the range, stated once', args: () => ['connect', '--timeout', '0', '127.0.0.1:21'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: --timeout must be more than 0 and at most 600 seconds \(got 0\)$/) },
  { name: 'connect with a URL: HOST:PORT suggested', args: () => ['connect', 'ftp://host/'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: "ftp:\/\/host\/" is a URL: give HOST:PORT \(here host:21\)$/) },
  { name: 'connect with a port out of range', args: () => ['connect', 'host:70000'], code: 2, stdout: '', stderr: oneLine(/bad port "70000" in "host:70000": expected 1-65535/) },

  // get
  {
    name: 'get: a two-line summary by default',
    args: () => ['get', serveUrl('probe/1M'), local('summary.bin')],
    where: 'ready',
    code: 0,
    stdout: /^downloaded 1\.0 MiB in \d+\.\d\d s, .*\/s \(.* Mbit\/s\)\nMPTCP held on every connection \(control: 1 subflow, data epsv: 1 subflow\)\n(note: .*\n(  .*\n)*)?$/,
    stderr: '',
    after: () => expect(statSync(local('summary.bin')).size).toBe(1 << 20),
  },
  {
    name: 'get -v: the full per-connection report (and the command log on stderr)',
    args: () => ['get', '-v', serveUrl('probe/1M'), local('verbose.bin')],
    where: 'ready',
    code: 0,
    stdout: /^downloaded 1\.0 MiB[\s\S]*MPTCP held on every connection[\s\S]*\ncontrol connection: MPTCP, 1 subflow\n[\s\S]*\ndata connection \(epsv\): MPTCP, 1 subflow\n/,
    stderr: /> RETR probe\/1M\n< 150 /,
  },
  { name: 'get -q: nothing but errors', args: () => ['get', '-q', serveUrl('probe/1M'), local('quiet.bin')], where: 'ready', code: 0, stdout: '', stderr: '', after: () => expect(statSync(local('quiet.bin')).size).toBe(1 << 20) },
  {
    name: 'get -q --require-mptcp against a TCP-only server: exit 1, one line on stderr',
    args: () => ['get', '-q', '--require-mptcp', locked.url('f.bin', 'u:s3cret'), local('required.bin')],
    code: 1,
    stdout: '',
    stderr: oneLine(/^mptcp-doctor: MPTCP did not hold on every connection, and --require-mptcp demands it$/),
  },
  {
    name: 'get from a TCP-only server: the MPTCP line says it fell back',
    args: () => ['get', locked.url('f.bin', 'u:s3cret'), local('fellback.bin')],
    code: 0,
    stdout: /\nMPTCP fell back to TCP on every connection \(peer-or-path-no-mptcp\)\n/,
  },
  { name: 'get: refused, exit 4', args: () => ['get', `ftp://127.0.0.1:${closedPort}/f`, local('refused.bin')], code: 4, stdout: '', stderr: oneLine(/^mptcp-doctor: connect to 127\.0\.0\.1:\d+: connection refused$/) },
  { name: 'get: port out of range', args: () => ['get', 'ftp://127.0.0.1:99999/f'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: bad URL "ftp:\/\/127\.0\.0\.1:99999\/f": port 99999 is out of range \(1-65535\)$/) },
  { name: 'get: no host', args: () => ['get', 'ftp:///f'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: bad URL "ftp:\/\/\/f": no host$/) },
  { name: 'get: unknown scheme', args: () => ['get', 'http://example.org/f'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: unsupported scheme "http:": use ftp:\/\/, ftpes:\/\//) },
  { name: 'get -6 with an IPv4 address: usage', args: () => ['get', '-6', 'ftp://127.0.0.1/f', local('x6.bin')], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: -6 asks for IPv6, but 127\.0\.0\.1 is an IPv4 address$/) },
  { name: 'get --timeout 0: the range, stated once', args: () => ['get', '--timeout', '0', 'ftp://127.0.0.1/f'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: --timeout must be more than 0 and at most 3600 seconds \(got 0\)$/) },
  {
    name: 'get: a .part that is not ours (a symlink) is refused, exit 2',
    args: () => {
      symlinkSync('/etc/hostname', local('planted.bin.part'));
      return ['get', serveUrl('probe/1M'), local('planted.bin')];
    },
    where: 'ready',
    code: 2,
    stdout: '',
    stderr: oneLine(/^mptcp-doctor: refusing to write .*planted\.bin\.part: it is a symbolic link/),
  },
  // Credentials
  {
    name: '-u USER without a password and no terminal: says how to give one, exit 2',
    args: () => ['get', '-u', 'bob', locked.url('f.bin'), local('nopass.bin')],
    code: 2,
    stdout: '',
    stderr: oneLine(/^mptcp-doctor: no password for bob: type it at the prompt on a terminal, give --password-stdin, or add it to /),
  },
  {
    name: '--password-stdin: the first line of stdin is the password',
    args: () => ['get', '-q', '-u', 'bob', '--password-stdin', locked.url('f.bin'), local('stdinpass.bin')],
    input: 's3cret\n',
    code: 0,
    stdout: '',
    stderr: '',
    after: () => expect(locked.passwords.at(-1)).toBe('s3cret'),
  },
  { name: '--password-stdin without a user: usage', args: () => ['get', '--password-stdin', locked.url('f.bin')], input: 'x\n', code: 2, stdout: '', stderr: oneLine(/--password-stdin needs a user/) },
  {
    name: 'a ~/.netrc with garbage: reported with its line, exit 2',
    args: () => {
      writeFileSync(local('garbage-netrc'), 'machine 127.0.0.1\n  login bob\n  pasword s3cret\n');
      chmodSync(local('garbage-netrc'), 0o600);
      return ['get', locked.url('f.bin'), local('netrc.bin')];
    },
    env: () => ({ NETRC: local('garbage-netrc') }),
    code: 2,
    stdout: '',
    stderr: oneLine(/^mptcp-doctor: .*garbage-netrc line 3: unexpected "pasword" \(expected machine, default, login, password, account or macdef\)$/),
  },

  // put
  {
    name: 'put: a two-line summary',
    args: () => ['put', local('upload.bin'), 'ftp://127.0.0.1:2121/upload/'],
    where: 'ready',
    code: 0,
    stdout: /^uploaded 1\.0 MiB in \d+\.\d\d s, .*\nMPTCP held on every connection \(control: 1 subflow, data epsv: 1 subflow\)\n/,
    stderr: '',
  },
  { name: 'put -q: nothing', args: () => ['put', '-q', local('upload.bin'), 'ftp://127.0.0.1:2121/upload/'], where: 'ready', code: 0, stdout: '', stderr: '' },
  { name: 'put: a missing file, exit 2', args: () => ['put', local('nope.bin'), 'ftp://127.0.0.1:2121/upload/'], code: 2, stdout: '', stderr: oneLine(/nope\.bin: no such file$/) },
  { name: 'put -6 with an IPv4 address: usage', args: () => ['put', '-6', local('upload.bin'), 'ftp://127.0.0.1/upload/'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: -6 asks for IPv6/) },

  // probe
  { name: 'probe: MPTCP held, exit 0', args: () => ['probe', 'ftp://127.0.0.1:2121/'], where: 'ready', code: 0, stdout: /^ftp:\/\/127\.0\.0\.1:2121\/: MPTCP held\n/, stderr: '' },
  { name: 'probe: refused, exit 4', args: () => ['probe', `ftp://127.0.0.1:${closedPort}/`], code: 4, stdout: '', stderr: oneLine(/^mptcp-doctor: .*refused/) },
  { name: 'probe -6 with an IPv4 address: usage', args: () => ['probe', '-6', 'ftp://127.0.0.1/'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: -6 asks for IPv6/) },
  { name: 'probe: bad --size', args: () => ['probe', 'ftp://127.0.0.1/', '--size', 'lots'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: bad --size "lots"/) },

  // serve, conns, watch
  { name: 'serve: a bad --listen, exit 2', args: () => ['serve', '--listen', '127.0.0.1:0'], code: 2, stdout: '', stderr: oneLine(/bad port|port/) },
  { name: 'serve: --idle-timeout 0, the range stated once', args: () => ['serve', '--idle-timeout', '0'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: --idle-timeout must be more than 0 and at most 86400 seconds \(got 0\)$/) },
  { name: 'conns: the table, exit 0', args: () => ['conns'], where: 'ready', code: 0, stdout: /127\.0\.0\.1:2121/ },
  { name: 'conns: a bad --port, exit 2', args: () => ['conns', '--port', '0'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: --port must be a whole number from 1 to 65535 \(got 0\)$/) },
  { name: 'watch --duration: ends by itself, exit 0', args: () => ['watch', '--duration', '0.3', '--interval', '0.1'], where: 'ready', code: 0, stderr: /^watched /m },
  {
    name: 'report: one host\'s check results, exit 0',
    args: () => {
      mkdirSync(local('fleet/host1'), { recursive: true });
      const check = execFileSync('nsenter', [`--net=/run/netns/${ready.name}`, 'node', cli, 'check', '--json', '--only', 'sysctl.enabled']);
      writeFileSync(local('fleet/host1/check.json'), check);
      return ['report', local('fleet')];
    },
    code: 0,
    stdout: /host1/,
    stderr: '',
  },
  {
    name: 'report: nothing to read, exit 2',
    args: () => {
      mkdirSync(local('no-results'), { recursive: true });
      return ['report', local('no-results')];
    },
    code: 2,
    stdout: '',
    stderr: oneLine(/^mptcp-doctor: no check or probe results in /),
  },
  { name: 'watch: a bad --interval, exit 2', args: () => ['watch', '--interval', '-1'], code: 2, stdout: '', stderr: oneLine(/^mptcp-doctor: --interval must be 0 to 3600 seconds \(got -1\)$/) },
];

describe.skipIf(skip)('every command keeps the conventions (no terminal)', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const argv = argvFor(c.args(), c.where, c.node);
    const result = await execa(argv[0]!, argv.slice(1), {
      reject: false,
      timeout: 80_000,
      cwd: dir,
      env: env(c.env?.()),
      extendEnv: false,
      ...(c.input !== undefined ? { input: c.input } : { stdin: 'ignore' }),
    });
    const code = result.exitCode ?? 128;
    expect(code, `exit code; stderr: ${result.stderr}`).toBe(c.code);
    expectText(String(result.stdout) + (String(result.stdout) ? '\n' : ''), c.stdout === '' ? '' : c.stdout, 'stdout');
    expectText(String(result.stderr) + (String(result.stderr) ? '\n' : ''), c.stderr === '' ? '' : c.stderr, 'stderr');
    c.after?.();
  }, 90_000);
});

interface TtyCase {
  name: string;
  args: () => string[];
  where?: Where;
  pty?: PtyOptions;
  env?: Record<string, string>;
  /** What the user does at the terminal, or to the process. */
  drive?: (session: PtySession) => Promise<void>;
  code: number;
  /** The terminal's transcript (stdout and stderr when they are the pty). */
  transcript?: Matcher;
  stdout?: Matcher;
  stderr?: Matcher;
  after?: (result: PtyResult) => void;
}

/** A progress line that fits: never longer than the terminal is wide minus one, rate and ETA whole. */
function progressFits(cols: number, label: string) {
  return (transcript: string) => {
    const shown = frames(transcript).filter((f) => f.startsWith(label) || /^\[?[#-]*\]? ?\d+% /.test(f) || /ETA/.test(f));
    const withEta = shown.filter((f) => / \d+(\.\d)? (B|KiB|MiB)\/s ETA \d+s$/.test(f));
    expect(withEta.length, `frames with a rate and an ETA:\n${shown.join('\n')}`).toBeGreaterThan(2);
    for (const frame of shown) expect(frame.length, frame).toBeLessThanOrEqual(cols - 1);
    // The size is known: percent and the total.
    expect(withEta.some((f) => /\d+% \d+\.\d\/2\.9 MiB /.test(f))).toBe(true);
  };
}

const ttyCases: TtyCase[] = [
  {
    name: 'progress at 80 columns: bar, percent, size of the total, rate, ETA',
    args: () => ['get', paced.url('p80.bin'), local('p80.bin')],
    pty: { cols: 80, stdout: 'pipe' },
    code: 0,
    transcript: (text) => {
      progressFits(80, 'get')(text);
      expect(frames(text).some((f) => /^get \[#+-*\] \d+% /.test(f))).toBe(true);
    },
    stdout: /^downloaded 2\.9 MiB/,
  },
  {
    name: 'progress at 40 columns: the bar gives way, rate and ETA stay whole',
    args: () => ['get', paced.url('p40.bin'), local('p40.bin')],
    pty: { cols: 40, stdout: 'pipe' },
    code: 0,
    transcript: progressFits(40, 'get'),
  },
  {
    name: 'probe shows progress for a run longer than a second',
    args: () => ['probe', paced.url('probe.bin'), '--mode', 'epsv'],
    pty: { cols: 80, stdout: 'pipe' },
    code: 1,
    transcript: (text) => expect(frames(text).some((f) => /^probe epsv .*\/s$/.test(f))).toBe(true),
  },
  {
    name: 'a quick probe shows no progress',
    args: () => ['probe', 'ftp://127.0.0.1:2121/', '--mode', 'epsv'],
    where: 'ready',
    pty: { cols: 80, stdout: 'pipe' },
    code: 0,
    transcript: (text) => expect(text).not.toMatch(/probe epsv/),
  },
  {
    name: 'no progress with -q on a terminal',
    args: () => ['get', '-q', paced.url('quiet.bin'), local('quiet-tty.bin')],
    pty: { cols: 80 },
    code: 0,
    transcript: '',
  },
  {
    name: '-u USER on a terminal: asked without echo',
    args: () => ['get', '-u', 'carol', locked.url('f.bin'), local('prompt.bin')],
    drive: async (session) => {
      await session.waitFor(/Password for carol@127\.0\.0\.1: $/);
      session.write('s3cret\r');
    },
    code: 0,
    transcript: (text) => {
      expect(text).not.toContain('s3cret');
      expect(stripAnsi(text)).toMatch(/Password for carol@127\.0\.0\.1: \r?\n[\s\S]*downloaded 64\.0 KiB/);
    },
    after: () => expect(locked.passwords.at(-1)).toBe('s3cret'),
  },
  {
    name: 'Ctrl-C at the password prompt: 130, one line',
    args: () => ['get', '-u', 'dave', locked.url('f.bin'), local('prompt-c.bin')],
    pty: { stderr: 'pty' },
    drive: async (session) => {
      await session.waitFor(/Password for dave@127\.0\.0\.1: $/);
      session.write('\x03');
    },
    code: 130,
    transcript: /Password for dave@127\.0\.0\.1: \r?\nmptcp-doctor: interrupted\r?\n$/,
    after: () => expect(existsSync(local('prompt-c.bin'))).toBe(false),
  },
  {
    name: 'binary data is not written to a terminal named as the file',
    args: () => ['get', serveUrl('probe/1M'), '/dev/tty'],
    where: 'ready',
    code: 2,
    transcript: /^mptcp-doctor: \/dev\/tty is a terminal, and binary output can mess it up: give - \(or -o -\) to write to the terminal anyway, or a file name\r?\n$/,
  },
  {
    name: 'an explicit - writes to the terminal',
    args: () => ['get', '-q', serveUrl('probe/1K'), '-'],
    where: 'ready',
    code: 0,
    // The terminal turns each LF into CR LF: at least the 1024 bytes arrived.
    after: (result) => expect(result.transcriptBytes).toBeGreaterThanOrEqual(1024),
  },
  {
    name: 'colour on a terminal',
    args: () => ['check', '--only', 'sysctl.enabled'],
    where: 'ready',
    code: 0,
    transcript: /\x1b\[32mMPTCP is ready on this host/,
  },
  { name: '--no-color on a terminal', args: () => ['check', '--only', 'sysctl.enabled', '--no-color'], where: 'ready', code: 0, transcript: (text) => expect(text).not.toMatch(/\x1b\[3\dm/) },
  { name: 'NO_COLOR on a terminal', args: () => ['check', '--only', 'sysctl.enabled'], env: { NO_COLOR: '1' }, where: 'ready', code: 0, transcript: (text) => expect(text).not.toMatch(/\x1b\[3\dm/) },
  {
    name: 'fix asks on a terminal; no is no',
    args: () => ['fix', '--only', 'sysctl.enabled'],
    where: 'off',
    drive: async (session) => {
      await session.waitFor(/Apply 1 change\? \[y\/N\] /);
      session.write('n\r');
    },
    code: 1,
    transcript: /Nothing changed\./,
    after: () => expect(sysctl(off, 'net.mptcp.enabled')).toBe('0'),
  },
  {
    name: 'Ctrl-C at fix\'s question: 130, nothing changed',
    args: () => ['fix', '--only', 'sysctl.enabled'],
    where: 'off',
    drive: async (session) => {
      await session.waitFor(/Apply 1 change\? \[y\/N\] /);
      session.write('\x03');
    },
    code: 130,
    transcript: (text) => expect(stripAnsi(text)).toMatch(/\[y\/N\] \r?\nmptcp-doctor: interrupted\r?\n$/),
    after: () => expect(sysctl(off, 'net.mptcp.enabled')).toBe('0'),
  },
];

let uploadsBefore = 0;
let downloadsBefore = 0;

/** Interruptions: each long-running command, Ctrl-C typed at the terminal and SIGTERM. */
function interruptions(): TtyCase[] {
  const rows: TtyCase[] = [];
  for (const [how, code, word] of [['Ctrl-C', 130, 'interrupted'], ['SIGTERM', 143, 'terminated']] as const) {
    const stop = async (session: PtySession) => (how === 'Ctrl-C' ? session.write('\x03') : session.kill('SIGTERM'));
    const quiet: PtyOptions = { stdout: 'pipe', stderr: 'pipe' };
    rows.push(
      {
        name: `get, ${how}: ${code}, the .part kept, one line`,
        args: () => ['get', slow.url('slow.bin'), local(`get-${code}.bin`)],
        pty: quiet,
        drive: async (session) => {
          await untilSize(local(`get-${code}.bin.part`), 100_000);
          await stop(session);
        },
        code,
        stdout: '',
        stderr: oneLine(new RegExp(`^mptcp-doctor: ${word}; kept .*get-${code}\\.bin\\.part \\(resume with --continue\\)$`)),
        after: () => {
          expect(statSync(local(`get-${code}.bin.part`)).size).toBeGreaterThan(0);
          expect(existsSync(local(`get-${code}.bin`))).toBe(false);
        },
      },
      {
        name: `get --json, ${how}: one JSON object, code interrupted`,
        args: () => ['get', '--json', slow.url('slow.bin'), local(`json-${code}.bin`)],
        pty: quiet,
        drive: async (session) => {
          await untilSize(local(`json-${code}.bin.part`), 100_000);
          await stop(session);
        },
        code,
        stdout: (text) => expect(JSON.parse(text)).toEqual({ schema: 'mptcp-doctor/get/v1', error: { code: 'interrupted', message: expect.stringMatching(new RegExp(`^${word}; kept `)), exitCode: code } }),
      },
      {
        name: `put, ${how}: ${code}, one line`,
        args: () => {
          uploadsBefore = slow.uploads.length;
          return ['put', local('big-upload.bin'), slow.url('up/')];
        },
        pty: quiet,
        drive: async (session) => {
          await untilNewTransfer(() => slow.uploads, uploadsBefore, 100_000);
          await stop(session);
        },
        code,
        stdout: '',
        stderr: oneLine(new RegExp(`^mptcp-doctor: ${word} \\(resume with --continue\\)$`)),
      },
      {
        name: `probe, ${how}: ${code}, one line`,
        args: () => {
          downloadsBefore = slow.downloads.length;
          return ['probe', slow.url('slow.bin'), '--mode', 'epsv'];
        },
        pty: quiet,
        drive: async (session) => {
          await untilNewTransfer(() => slow.downloads, downloadsBefore, 100_000);
          await stop(session);
        },
        code,
        stdout: '',
        stderr: oneLine(new RegExp(`^mptcp-doctor: ${word}$`)),
      },
      {
        name: `serve, ${how}: ${code} after a graceful stop`,
        args: () => ['serve', '--listen', `127.0.0.1:${2200 + code}`],
        where: 'ready',
        pty: quiet,
        drive: async (session) => {
          await session.waitFor(/serving ftp:/, { in: 'stdout' });
          await stop(session);
        },
        code,
        stdout: /^serving ftp:\/\/127\.0\.0\.1:\d+\/ with MPTCP; Ctrl-C stops\n$/,
        stderr: /info stopped\n$/,
      },
      {
        name: `watch, ${how}: ${code} after its summary`,
        args: () => ['watch', '--interval', '0.2', '--verbose'],
        where: 'ready',
        pty: quiet,
        drive: async (session) => {
          await session.waitFor(/^watching /m, { in: 'stderr' });
          await stop(session);
        },
        code,
        // The --verbose line that says it is ready, then the summary.
        stderr: /^watching MPTCP events and the MPTcpExt counters\nwatched \d+\.\d s: [^\n]*\n$/,
      },
      {
        name: `connect (a SYN that never returns), ${how}: ${code}, one line`,
        args: () => {
          zeroDrops();
          return ['connect', '127.0.0.1:9', '--timeout', '60'];
        },
        where: 'dropped',
        pty: quiet,
        drive: async (session) => {
          await untilDropped();
          await stop(session);
        },
        code,
        stdout: '',
        stderr: oneLine(new RegExp(`^mptcp-doctor: ${word}$`)),
      },
      {
        name: `check's self-test (its SYNs dropped), ${how}: ${code}, one line`,
        args: () => {
          zeroDrops();
          return ['check', '--only', 'selftest.loopback'];
        },
        where: 'dropped',
        pty: quiet,
        drive: async (session) => {
          await untilDropped();
          await stop(session);
        },
        code,
        stdout: '',
        stderr: oneLine(new RegExp(`^mptcp-doctor: ${word}$`)),
      },
    );
  }
  return rows;
}

describe.skipIf(skip)('every command keeps the conventions (on a terminal)', () => {
  test.each([...ttyCases, ...interruptions()].map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const session = spawnPty(argvFor(c.args(), c.where), { cwd: dir, env: env(c.env), timeoutMs: 50_000, ...c.pty });
    await c.drive?.(session);
    const result = await session.result;
    expect(result.exitCode, `exit code; terminal:\n${result.transcript}\nstderr: ${result.stderr}`).toBe(c.code);
    expectText(result.transcript, c.transcript, 'terminal');
    expectText(result.stdout, c.stdout, 'stdout');
    expectText(result.stderr, c.stderr, 'stderr');
    c.after?.(result);
  }, 60_000);
});
