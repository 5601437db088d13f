// The conventions every command keeps (docs/architecture.md, "Conventions"), one row per case, as
// scripts see them (no terminal): exit codes, the one-line errors, what goes to stdout and stderr.
// The rows that need a terminal are in conventions-tty.test.ts; the servers and helpers both use
// are in support/conventions-harness.ts.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import {
  argvFor,
  cli,
  closedPort,
  dir,
  env,
  expectText,
  local,
  locked,
  off,
  oneLine,
  plainPort,
  ready,
  serveUrl,
  skip,
  sysctl,
  useConventionsLab,
  type Matcher,
  type Where,
} from './support/conventions-harness.js';

const fault = path.join(import.meta.dirname, 'fixtures', 'internal-fault.mjs');

useConventionsLab('conv');

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

  // Cannot run: the native addon is missing (a broken install). check still reports what it could read.
  {
    name: 'check without the native addon: exit 3, the report, and one line naming the checks that could not run',
    args: () => ['check', '--only', 'sysctl.enabled,socket.mptcp,selftest.loopback'],
    where: 'ready',
    env: () => ({ MPTCP_DOCTOR_ADDON: path.join(dir, 'missing.node') }),
    code: 3,
    stdout: /^MPTCP is not ready on this host: 2 checks \(socket\.mptcp, selftest\.loopback\)\s+could not run/,
    stderr: oneLine(/^mptcp-doctor: socket\.mptcp, selftest\.loopback could not run: native addon not loadable/),
  },
  {
    name: 'connect without the native addon: exit 3, one line',
    args: () => ['connect', '127.0.0.1:2121'],
    where: 'ready',
    env: () => ({ MPTCP_DOCTOR_ADDON: path.join(dir, 'missing.node') }),
    code: 3,
    stdout: '',
    stderr: oneLine(/^mptcp-doctor: native addon not loadable/),
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
