// The conventions every command keeps (docs/architecture.md, "Conventions") on a real
// pseudo-terminal (test/support/pty.ts): what only a terminal shows (progress, the password prompt,
// colour) and how each long-running command ends on Ctrl-C and SIGTERM. The rows without a terminal
// are in conventions.test.ts; the servers and helpers both use are in support/conventions-harness.ts.
import { existsSync, statSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { frames, spawnPty, stripAnsi, type PtyOptions, type PtyResult, type PtySession } from '../support/pty.js';
import {
  argvFor,
  dir,
  env,
  expectText,
  local,
  locked,
  off,
  oneLine,
  paced,
  serveUrl,
  skip,
  slow,
  sysctl,
  untilDropped,
  untilNewTransfer,
  untilSize,
  useConventionsLab,
  zeroDrops,
  type Matcher,
  type Where,
} from './support/conventions-harness.js';

useConventionsLab('tty');

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
