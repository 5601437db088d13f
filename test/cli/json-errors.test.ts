// Under --json every outcome is exactly one JSON object on stdout: when a command fails, its own
// schema with an `error` object { code, message, exitCode }. For every command: usage errors
// found by yargs and by the command, its typical runtime failure, and an internal error (70).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireDist } from '../support/dist.js';

const cli = requireDist();
const fault = path.join(import.meta.dirname, 'fixtures', 'internal-fault.mjs');
const lateFault = path.join(import.meta.dirname, 'fixtures', 'late-fault.mjs');

interface ErrorJson {
  schema: string;
  error: { code: string; message: string; exitCode: number };
}

let dir: string;
let closedPort: number;
/** Accepts and never says a word (an FTP server that does not greet). */
let silent: net.Server;
let silentPort: number;
const held: net.Socket[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'md-json-'));
  writeFileSync(path.join(dir, 'upload.bin'), 'x');
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  silent = net.createServer((socket) => {
    socket.on('error', () => undefined);
    held.push(socket);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
});
afterAll(async () => {
  held.forEach((s) => s.destroy());
  await new Promise((resolve) => silent.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[], options: { preload?: boolean } = {}) {
  const node = options.preload ? ['--import', fault] : [];
  const result = await execa('node', [...node, cli, ...args], { cwd: dir, reject: false, timeout: 30_000, env: { NO_COLOR: '1', NETRC: path.join(dir, 'no-netrc') } });
  return result;
}

/** Exactly one JSON object on stdout (JSON.parse fails on a second one, or on none). */
function oneObject(stdout: string): ErrorJson {
  expect(stdout.trim(), 'stdout').not.toBe('');
  return JSON.parse(stdout) as ErrorJson;
}

async function expectError(args: string[], schema: string, expected: { code: string | RegExp; exitCode: number; message?: string | RegExp }, options: { preload?: boolean } = {}) {
  const result = await run(args, options);
  expect(result.exitCode, result.stderr).toBe(expected.exitCode);
  const json = oneObject(result.stdout);
  expect(json.schema).toBe(`mptcp-doctor/${schema}/v1`);
  expect(Object.keys(json.error).sort()).toEqual(['code', 'exitCode', 'message']);
  expect(json.error.exitCode).toBe(expected.exitCode);
  if (typeof expected.code === 'string') expect(json.error.code).toBe(expected.code);
  else expect(json.error.code).toMatch(expected.code);
  if (expected.message !== undefined) {
    if (typeof expected.message === 'string') expect(json.error.message).toBe(expected.message);
    else expect(json.error.message).toMatch(expected.message);
  }
  // The same one line on stderr, for humans.
  expect(result.stderr).toContain(`mptcp-doctor: ${json.error.message}`);
  return json;
}

const usage = { code: 'usage', exitCode: 2 };
const internal = { code: 'internal', exitCode: 70, message: 'internal error: injected fault' };

describe('--json on failure: one object with the command schema and an error', () => {
  test('check: unknown option (yargs), unknown check id, unwritable --output, internal error', async () => {
    await expectError(['check', '--json', '--bogus'], 'check', { ...usage, message: 'Unknown argument: bogus' });
    await expectError(['check', '--json', '--only', 'nosuch'], 'check', { ...usage, message: /^unknown check id nosuch/ });
    await expectError(['check', '--json', '--output', path.join(dir, 'missing', 'x.prom')], 'check', { code: 'cannot-run', exitCode: 3 });
    await expectError(['check', '--json'], 'check', internal, { preload: true });
  });

  test('no command (the default, check) and check --format json', async () => {
    await expectError(['--json', '--bogus'], 'check', usage);
    await expectError(['check', '--format', 'json', '--only', 'nosuch'], 'check', usage);
  });

  test('fix: unknown option, empty --persist-file, internal error (nothing is changed: all fail before the plan)', async () => {
    await expectError(['fix', '--json', '--bogus'], 'fix', usage);
    await expectError(['fix', '--json', '--persist-file', ''], 'fix', { ...usage, message: '--persist-file needs a path' });
    await expectError(['fix', '--json', '--dry-run'], 'fix', internal, { preload: true });
  });

  test('connect: refused (ECONNREFUSED), missing target (yargs), bad target, internal error', async () => {
    await expectError(['connect', `127.0.0.1:${closedPort}`, '--json'], 'connect', { code: 'ECONNREFUSED', exitCode: 4, message: `connect to 127.0.0.1:${closedPort}: connection refused` });
    await expectError(['connect', '--json'], 'connect', { ...usage, message: /^Not enough non-option arguments/ });
    await expectError(['connect', 'no-port-here', '--json'], 'connect', usage);
    await expectError(['connect', `127.0.0.1:${closedPort}`, '--json'], 'connect', internal, { preload: true });
  });

  test('get: refused, no greeting (timeout), bad URL, bad --mode (yargs), internal error', async () => {
    const out = path.join(dir, 'get.out');
    await expectError(['get', `ftp://127.0.0.1:${closedPort}/f`, out, '--json'], 'get', { code: 'ECONNREFUSED', exitCode: 4 });
    await expectError(['get', `ftp://127.0.0.1:${silentPort}/f`, out, '--json', '--timeout', '1'], 'get', { code: 'not-ftp-server', exitCode: 4, message: `127.0.0.1:${silentPort} is not an FTP server: it accepted the connection but sent no FTP greeting within 1 s` });
    await expectError(['get', 'http://example.invalid/f', out, '--json'], 'get', usage);
    await expectError(['get', `ftp://127.0.0.1:${closedPort}/f`, out, '--json', '--mode', 'bogus'], 'get', usage);
    await expectError(['get', `ftp://127.0.0.1:${closedPort}/f`, out, '--json'], 'get', internal, { preload: true });
  });

  test('put: refused, missing local file, missing URL (yargs), internal error', async () => {
    const file = path.join(dir, 'upload.bin');
    await expectError(['put', file, `ftp://127.0.0.1:${closedPort}/`, '--json'], 'put', { code: 'ECONNREFUSED', exitCode: 4 });
    await expectError(['put', path.join(dir, 'nope.bin'), `ftp://127.0.0.1:${closedPort}/`, '--json'], 'put', { ...usage, message: `${path.join(dir, 'nope.bin')}: no such file` });
    await expectError(['put', file, '--json'], 'put', usage);
    await expectError(['put', file, `ftp://127.0.0.1:${closedPort}/`, '--json'], 'put', internal, { preload: true });
  });

  test('probe: refused, bad --size, internal error', async () => {
    // The probe cannot run (exit 4); its code names the failure when the cause says it.
    await expectError(['probe', `ftp://127.0.0.1:${closedPort}/`, '--json'], 'probe', { code: /^(ECONNREFUSED|network)$/, exitCode: 4 });
    await expectError(['probe', `ftp://127.0.0.1:${closedPort}/`, '--json', '--size', 'lots'], 'probe', usage);
    await expectError(['probe', `ftp://127.0.0.1:${closedPort}/`, '--json'], 'probe', internal, { preload: true });
  });

  test('serve: bad --listen, address in use (EADDRINUSE), internal error', async () => {
    await expectError(['serve', '--listen', '127.0.0.1:0', '--json'], 'serve', usage);
    await expectError(['serve', '--listen', `127.0.0.1:${silentPort}`, '--json'], 'serve', { code: 'EADDRINUSE', exitCode: 4 });
    await expectError(['serve', '--listen', `127.0.0.1:${closedPort}`, '--json'], 'serve', internal, { preload: true });
  });

  test('a failure after the report was printed adds no second object (serve --json, then a bug)', async () => {
    const child = execa('node', ['--import', lateFault, cli, 'serve', '--listen', `127.0.0.1:${closedPort}`, '--json'], { cwd: dir, reject: false, timeout: 30_000 });
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve printed no report: ${stdout}`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.trimEnd().endsWith('}')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGUSR2');
    const result = await child;
    expect(result.exitCode).toBe(70);
    const json = JSON.parse(result.stdout) as { schema: string; port: number; error?: unknown };
    expect(json).toMatchObject({ schema: 'mptcp-doctor/serve/v1', port: closedPort });
    expect(json.error).toBeUndefined();
    expect(result.stderr).toContain('internal error: injected late fault');
  });

  test('an unknown command: the error schema', async () => {
    await expectError(['conect', '127.0.0.1:1', '--json'], 'error', usage);
  });

  test('without --json, a failure prints nothing on stdout', async () => {
    const result = await run(['connect', `127.0.0.1:${closedPort}`]);
    expect(result.exitCode).toBe(4);
    expect(result.stdout).toBe('');
  });
});
