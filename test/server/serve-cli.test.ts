// `mptcp-doctor serve` as a process: startup line and --json, 100 concurrent MPTCP clients each
// downloading /probe/1M with correct hashes while the server's memory stays bounded, --json-log
// without passwords, graceful stop on SIGTERM, usage errors.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { computeDigest } from '../../src/server/index.js';
import { packageRoot } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { createNetns } from '../support/netns.js';
import { freePort } from './support/free-port.js';
import { expectCode, RawClient } from './support/raw-client.js';

const main = join(packageRoot, 'src', 'cli', 'main.ts');
const manyClients = join(import.meta.dirname, 'fixtures', 'many-clients.py');


/** Runs the CLI from source (tsx), so the test needs no build. */
function serve(...args: string[]): ResultPromise<{ reject: false; timeout: number; env: Record<string, string> }> {
  return execa('node', ['--import', 'tsx', main, 'serve', ...args], { reject: false, timeout: 120_000, env: { NO_COLOR: '1' }, cwd: packageRoot });
}

async function waitForStdout(child: ResultPromise, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} on stdout within ${timeoutMs} ms: ${text}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
  });
}

function memoryKb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)![1]);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

describe('mptcp-doctor serve (process)', () => {
  const children: ResultPromise[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.pid && child.exitCode === null) child.kill('SIGKILL');
  });

  test('starts an MPTCP listener, --json describes it, SIGTERM stops it (ended by the signal: 143)', async () => {
    const port = await freePort();
    const child = serve('--listen', `127.0.0.1:${port}`, '--json');
    children.push(child);
    const json = JSON.parse(await waitForStdout(child, /\}\s*$/));
    expect(json).toMatchObject({ schema: 'mptcp-doctor/serve/v1', address: '127.0.0.1', port, socket: 'mptcp', tls: false });
    const client = await RawClient.login(port, '127.0.0.1', true);
    expectCode(await client.command('NOOP'), 200);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(143);
    expect(client.closed || (await client.closedWithin(3000))).toBe(true);
  });

  test('--json-log: one JSON object per event on stderr, never the password', async () => {
    const port = await freePort();
    const child = serve('--listen', `127.0.0.1:${port}`, '--json-log');
    children.push(child);
    await waitForStdout(child, /serving ftp:\/\/127\.0\.0\.1:\d+\/ with MPTCP/);
    const client = await RawClient.login(port);
    await client.command('SITE MPTCP');
    await client.command('QUIT');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    const events = String(result.stderr).trim().split('\n').map((line) => JSON.parse(line));
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['listening', 'connect', 'login', 'command', 'disconnect', 'stopping', 'stopped']));
    expect(String(result.stderr)).not.toContain('secret-password');
    expect(String(result.stderr)).toContain('PASS ****');
  });

  test.each([
    [['--listen', 'nonsense'], /bad address/],
    [['--pasv-ports', '5000-4000'], /--pasv-ports/],
    [['--max-upload', 'lots'], /--max-upload/],
    [['--tls-cert', '/nonexistent.pem'], /--tls-cert and --tls-key go together/],
    // Accepted before, and then every PASV failed for the server's lifetime.
    [['--pasv-address', 'not-an-ip'], /^mptcp-doctor: --pasv-address "not-an-ip": expected an IPv4 address/],
    [['--pasv-address', '2001:db8::1'], /--pasv-address "2001:db8::1": expected an IPv4 address/],
    [['--data-timeout', '0'], /--data-timeout must be/],
    [['--max-digest-size', 'huge'], /--max-digest-size "huge"/],
  ])('usage error %j: one line, exit 2', async (args, message) => {
    const result = await serve(...args);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(message);
    expect(String(result.stderr).trim().split('\n')).toHaveLength(1);
  });

  describe('unusable --tls-cert / --tls-key: a usage error naming the file, never OpenSSL\'s text', () => {
    let dir = '';
    const file = (name: string) => join(dir, name);
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'mptcp-doctor-serve-tls-'));
      await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('key.pem'), '-out', file('cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { timeout: 30_000 });
      await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('other-key.pem'), '-out', file('other-cert.pem'), '-days', '1', '-subj', '/CN=other'], { timeout: 30_000 });
      await writeFile(file('empty.pem'), '');
      await writeFile(file('junk.pem'), 'not pem at all\n');
    });
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test.each([
      // Exit 70 with "error:1E08010C:DECODER routines::unsupported" before.
      ['empty key', () => ['--tls-cert', file('cert.pem'), '--tls-key', file('empty.pem')], () => `--tls-key ${file('empty.pem')}: the file is empty`],
      ['empty certificate', () => ['--tls-cert', file('empty.pem'), '--tls-key', file('key.pem')], () => `--tls-cert ${file('empty.pem')}: the file is empty`],
      // Exit 3 (cannot run) before.
      ['missing key', () => ['--tls-cert', file('cert.pem'), '--tls-key', file('absent.pem')], () => `--tls-key ${file('absent.pem')}: cannot read it (no such file)`],
      ['a directory', () => ['--tls-cert', dir, '--tls-key', file('key.pem')], () => `--tls-cert ${dir}: cannot read it (is a directory)`],
      ['junk key', () => ['--tls-cert', file('cert.pem'), '--tls-key', file('junk.pem')], () => `--tls-key ${file('junk.pem')}: not a PEM private key`],
      ['junk certificate', () => ['--tls-cert', file('junk.pem'), '--tls-key', file('key.pem')], () => `--tls-cert ${file('junk.pem')}: not a PEM certificate`],
      ['key of another certificate', () => ['--tls-cert', file('cert.pem'), '--tls-key', file('other-key.pem')], () => `--tls-key ${file('other-key.pem')}: the private key does not belong to the certificate`],
    ])('%s', async (_name, args, message) => {
      const result = await serve('--listen', `127.0.0.1:${await freePort()}`, ...args());
      expect(result.exitCode).toBe(2);
      const stderr = String(result.stderr).trim();
      expect(stderr.split('\n')).toHaveLength(1);
      expect(stderr).toContain(`mptcp-doctor: ${message()}`);
      expect(stderr).not.toMatch(/routines|error:[0-9A-F]{8}/);
    });
  });

  const skipNetns = missingRequirement('serve where MPTCP is disabled', 'root', 'netns');
  test.skipIf(skipNetns)('net.mptcp.enabled=0 in the namespace: plain TCP listener, with a warning', async () => {
    const ns = await createNetns('serve-off');
    try {
      await ns.exec(['sysctl', '-qw', 'net.mptcp.enabled=0']);
      const child = execa('ip', ['netns', 'exec', ns.name, 'node', '--import', 'tsx', main, 'serve', '--listen', '127.0.0.1:2121', '--json'], {
        reject: false, timeout: 60_000, cwd: packageRoot, env: { NO_COLOR: '1' },
      });
      children.push(child);
      const json = JSON.parse(await waitForStdout(child, /\}\s*$/));
      expect(json).toMatchObject({ socket: 'tcp', tcpReason: 'disabled' });
      child.kill('SIGTERM');
      const result = await child;
      expect(result.exitCode).toBe(143);
      expect(String(result.stderr)).toMatch(/mptcp-unavailable: listening with plain TCP: MPTCP is disabled \(net\.mptcp\.enabled = 0\)/);
    } finally {
      await ns.destroy();
    }
  });

  const skip = missingRequirement('serve 100 clients', 'tool:mptcpize', 'tool:python3');
  test.skipIf(skip)('100 concurrent MPTCP clients each download /probe/1M with correct hashes; memory bounded', async () => {
    const port = await freePort();
    const child = serve('--listen', `127.0.0.1:${port}`, '--max-clients', '150', '--max-per-address', '150');
    children.push(child);
    await waitForStdout(child, /serving ftp:/);
    const expected = await computeDigest(1 << 20);
    const before = memoryKb(child.pid!);
    const rounds = [];
    for (let round = 0; round < 3; round += 1) {
      const result = await execa('mptcpize', ['run', 'python3', manyClients, '127.0.0.1', String(port), '100', '/probe/1M', expected], { timeout: 120_000 });
      rounds.push(JSON.parse(result.stdout));
    }
    const after = memoryKb(child.pid!);
    console.log(`serve with 100 clients x 3 rounds: RSS ${before.rss} -> ${after.rss} kB, peak ${after.peak} kB; rounds ${rounds.map((r) => r.seconds).join(', ')} s`);
    for (const round of rounds) expect(round).toMatchObject({ ok: 100, failures: [] });
    // Bounded: the probe bytes are views of one shared 1 MiB block; 300 downloads must not grow the heap.
    expect(after.peak).toBeLessThan(250 * 1024);
    expect(after.rss - before.rss).toBeLessThan(64 * 1024);
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(143);
  });
});
