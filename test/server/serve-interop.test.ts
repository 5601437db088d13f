// Interoperability with FTP clients nobody here wrote, each forced onto MPTCP with `mptcpize run`:
// curl, lftp and Python's ftplib list, download /probe/10M with the right SHA-256, and upload; plain
// and with TLS (AUTH TLS, PROT P). `ss -M` (host namespace, loopback) shows their control
// connections as MPTCP sockets while they run, and SITE MPTCP agrees from the server's side.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RawClient, expectCode } from './support/raw-client.js';
import type { SiteMptcpView } from '../../src/protocol/site-mptcp.js';
import { computeDigest, startServer, type ProbeServer } from '../../src/server/index.js';
import { missingRequirement } from '../support/gate.js';
import { waitFor } from '../support/wait-for.js';

const skip = missingRequirement('serve interoperability', 'tool:mptcpize', 'tool:curl', 'tool:lftp', 'tool:python3', 'tool:ss', 'tool:openssl');
const fixture = join(import.meta.dirname, 'fixtures', 'ftplib-client.py');
const MIB = 1 << 20;

/** Polls `ss -M` while `child` runs; returns the MPTCP socket lines whose local end is the server port. */
async function mptcpSocketsDuring(child: ResultPromise, port: number): Promise<string[]> {
  const seen = new Set<string>();
  let running = true;
  void child.finally(() => (running = false)).catch(() => undefined);
  const deadline = Date.now() + 30_000;
  while (running && Date.now() < deadline) {
    const { stdout } = await execa('ss', ['-MnH'], { reject: false, timeout: 5000 });
    for (const line of String(stdout).split('\n')) {
      const [state, , , local] = line.trim().split(/\s+/);
      if (state === 'ESTAB' && local === `127.0.0.1:${port}`) seen.add(line.trim().replace(/\s+/g, ' '));
    }
    // Not a synchronisation: the sampling interval of ss while the client runs (the loop ends with it).
    await new Promise((r) => setTimeout(r, 100));
  }
  return [...seen];
}

function siteFrom(verbose: string): SiteMptcpView {
  const line = verbose.split('\n').find((l) => l.includes('mptcp-doctor/site-mptcp/v1'));
  if (!line) throw new Error(`no SITE MPTCP reply in:\n${verbose.slice(-2000)}`);
  return JSON.parse(line.slice(line.indexOf('{')));
}

describe.skipIf(skip)('serve interoperability (mptcpize run curl / lftp / python3 ftplib)', () => {
  let server: ProbeServer;
  let dir: string;
  let digest10M: string;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mptcp-doctor-serve-'));
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { timeout: 30_000 });
    server = await startServer({
      port: 0,
      tls: { cert: await readFile(join(dir, 'cert.pem')), key: await readFile(join(dir, 'key.pem')) },
    });
    url = `ftp://127.0.0.1:${server.port}`;
    digest10M = await computeDigest(10 * MIB);
  });
  afterAll(async () => {
    await server?.close(1000);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const curl = (...args: string[]) => execa('mptcpize', ['run', 'curl', '-sS', ...args], { timeout: 60_000, encoding: 'buffer', reject: false, stripFinalNewline: false });
  const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

  for (const tls of [false, true]) {
    const tlsArgs = tls ? ['--ssl-reqd', '-k'] : [];
    test(`curl${tls ? ' with TLS' : ''}: list, download 10M (SHA-256), upload; ss -M shows MPTCP`, async () => {
      const list = await curl(...tlsArgs, `${url}/probe/`);
      expect(list.exitCode).toBe(0);
      expect(text(list.stdout)).toMatch(/ 10485760 Jan 01  2025 10M\r?\n/);
      const stated = text((await curl(...tlsArgs, `${url}/probe/10M.sha256`)).stdout);
      expect(stated).toBe(`${digest10M}  10M\n`);
      // Rate-limited so the connection lives long enough for ss to see it.
      const download = curl(...tlsArgs, '--limit-rate', '5M', '-v', '-Q', '-SITE MPTCP', `${url}/probe/10M`);
      const sockets = await mptcpSocketsDuring(download, server.port);
      const result = await download;
      expect(result.exitCode).toBe(0);
      expect(result.stdout.length).toBe(10 * MIB);
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(Buffer.from(result.stdout)).digest('hex')).toBe(digest10M);
      expect(sockets.length).toBeGreaterThanOrEqual(1);
      const site = siteFrom(text(result.stderr));
      expect(site.control).toMatchObject({ socket: 'mptcp', state: 'mptcp', mpCapableReceived: true });
      expect(site.data).toMatchObject({ socket: 'mptcp', state: 'mptcp', command: 'RETR', bytes: 10 * MIB, outcome: 'complete' });
      const upload = await curl(...tlsArgs, '-v', '-T', fixture, `${url}/upload/script.py`);
      expect(upload.exitCode).toBe(0);
      const { createHash: hash } = await import('node:crypto');
      const expected = hash('sha256').update(await readFile(fixture)).digest('hex');
      expect(text(upload.stderr)).toMatch(new RegExp(`< 226 Transfer complete: received \\d+ bytes, SHA-256 ${expected}`));
    });

    test(`lftp${tls ? ' with TLS' : ''}: list, download 10M (SHA-256), upload, SITE MPTCP; ss -M shows MPTCP`, async () => {
      const target = join(dir, `lftp-10M-${tls}`);
      const settings = tls
        ? 'set ssl:verify-certificate no; set ftp:ssl-force true; set ftp:ssl-protect-data true;'
        : 'set ftp:ssl-allow false;';
      const script = `${settings} set net:limit-rate 5M; set net:max-retries 1; open ${url}; ls /probe; get /probe/10M -o ${target}; cat /probe/10M.sha256; put ${fixture} -o /upload/lftp.py; quote SITE MPTCP`;
      const child = execa('mptcpize', ['run', 'lftp', '-c', script], { timeout: 60_000, reject: false });
      const sockets = await mptcpSocketsDuring(child, server.port);
      const result = await child;
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/10485760 Jan 01  2025 10M/);
      expect(result.stdout).toContain(`${digest10M}  10M`);
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(await readFile(target)).digest('hex')).toBe(digest10M);
      expect(sockets.length).toBeGreaterThanOrEqual(1);
      const site = siteFrom(result.stdout);
      expect(site.control).toMatchObject({ socket: 'mptcp', state: 'mptcp', mpCapableReceived: true });
      expect(site.data).toMatchObject({ socket: 'mptcp', state: 'mptcp', command: 'STOR', outcome: 'complete' });
    });

    test(`python3 ftplib${tls ? ' (FTP_TLS, PROT P)' : ''}: list, download 10M (SHA-256), upload; ss -M shows MPTCP`, async () => {
      const child = execa('mptcpize', ['run', 'python3', fixture, '127.0.0.1', String(server.port), '--linger', '1', ...(tls ? ['--tls'] : [])], { timeout: 60_000, reject: false });
      const sockets = await mptcpSocketsDuring(child, server.port);
      const result = await child;
      expect(result.exitCode, result.stderr).toBe(0);
      const out = JSON.parse(result.stdout);
      expect(out.names).toContain('10M');
      expect(out.sha256).toBe(digest10M);
      expect(out.stated).toBe(digest10M);
      expect(out.stor).toMatch(/^226 Transfer complete: received 100000 bytes, SHA-256 [0-9a-f]{64}/);
      expect(out.site.control).toMatchObject({ socket: 'mptcp', state: 'mptcp', mpCapableReceived: true });
      expect(out.site.data).toMatchObject({ socket: 'mptcp', state: 'mptcp', command: 'STOR', bytes: 100000 });
      expect(sockets.length).toBeGreaterThanOrEqual(1);
    });
  }

  test('garbage instead of a TLS handshake after AUTH TLS: the connection is closed, others still served', async () => {
    const client = await RawClient.connect(server.port);
    expectCode(await client.reply(), 220);
    expectCode(await client.command('AUTH TLS'), 234);
    client.write(Buffer.from('GET / HTTP/1.0\r\n\r\n' + 'x'.repeat(5000)));
    expect(await client.closedWithin(5000)).toBe(true);
    const other = await RawClient.login(server.port);
    expectCode(await other.command('NOOP'), 200);
    other.close();
  });

  test('plaintext pipelined after AUTH TLS is discarded, not run inside the TLS session', async () => {
    const client = await RawClient.connect(server.port);
    expectCode(await client.reply(), 220);
    client.socket.removeAllListeners('data');
    client.socket.pause(); // the TLS layer below takes over the socket after 234
    client.socket.write('AUTH TLS\r\nUSER anonymous\r\nPASS injected\r\n');
    const reply = await new Promise<string>((resolve) => client.socket.once('readable', () => resolve(String(client.socket.read()))));
    expect(reply).toMatch(/^234 /);
    const secure = tls.connect({ socket: client.socket, rejectUnauthorized: false });
    await new Promise((r) => secure.once('secureConnect', r));
    let text = '';
    secure.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    secure.write('PWD\r\n');
    // The first reply inside TLS: had the injected USER/PASS run, it would be their 331, not PWD's 530.
    await waitFor('a reply inside the TLS session', () => text.includes('\r\n'), { timeoutMs: 5000 });
    expect(text).toMatch(/^530 /);
    secure.destroy();
  });

  test('curl without mptcpize (plain TCP): SITE MPTCP says tcp, no MP_CAPABLE reached the server', async () => {
    const result = await execa('curl', ['-sS', '-v', '-Q', 'SITE MPTCP', `${url}/probe/1M.sha256`], { timeout: 30_000, reject: false });
    expect(result.exitCode).toBe(0);
    expect(siteFrom(result.stderr).control).toMatchObject({ socket: 'tcp', state: 'tcp', mpCapableReceived: false });
  });
});
