// `mptcp-doctor get` / `put` against third-party vsftpd in the lab (client =(2 links)= router --
// server): every connection on MPTCP and what each one did, active mode, explicit FTPS, resume
// after the server dies, a path lost mid-transfer, and bare vsftpd (fallback, --require-mptcp).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import type { GetJson } from '../../src/cli/commands/get.js';
import type { PutJson } from '../../src/cli/commands/put.js';
import { cliEntry, startVsftpd, type Vsftpd } from '../lab/index.js';
import { useLab } from '../lab/vitest.js';
import { missingRequirement } from '../support/gate.js';

const skip =
  missingRequirement('get/put in the lab', 'root', 'netns', 'tool:vsftpd', 'tool:mptcpize', 'tool:openssl', 'tool:ss') ??
  (existsSync(cliEntry) ? undefined : builtOrFail());

function builtOrFail(): string {
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${cliEntry} missing: run npm run build`);
  return 'get/put in the lab: skipped, run npm run build first';
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function connection(json: GetJson | PutJson, role: 'control' | 'data') {
  const found = json.connections.find((c) => c.role === role);
  expect(found, `${role} connection in the report`).toBeDefined();
  expect(found!.report, `${role} report`).toBeDefined();
  return found!.report!;
}

describe.skipIf(skip)('get and put against vsftpd in the lab (two client paths)', () => {
  const lab = useLab({ topology: 'routed', links: 2 });
  let counter = 0;
  const local = (name: string) => path.join(lab().tmpDir, `${name}-${++counter}`);

  async function cli(args: string[], timeoutMs = 60_000) {
    return lab().runNode('client', args, { timeoutMs });
  }

  async function getJson(url: string, file: string, extra: string[] = []): Promise<GetJson> {
    const r = await cli(['get', url, '-o', file, '--json', ...extra]);
    expect(r.exitCode, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as GetJson;
  }

  /** Waits (bounded) until `file` holds at least `bytes`. */
  async function waitForSize(file: string, bytes: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const size = existsSync(file) ? statSync(file).size : 0;
      if (size >= bytes) return size;
      if (Date.now() > deadline) throw new Error(`${file} has ${size} bytes after ${timeoutMs} ms, wanted ${bytes}`);
      await sleep(50);
    }
  }

  test('passive get and put: control and data connections MPTCP, every one reported', async () => {
    // 100 Mbit/s per path: 20 MiB then takes about a second, time for the second path to join the
    // data connection even on a busy machine (unshaped, a veth moves it faster than a loaded
    // machine's path manager gets to the join). useLab restores the paths after the test.
    await lab().shape(1, { rateMbit: 100 });
    await lab().shape(2, { rateMbit: 100 });
    const server = await startVsftpd(lab(), { mptcp: true, files: { 'f.bin': 20 << 20 }, upload: true, port: 2101 });
    try {
      const file = local('f.bin');
      const json = await getJson(server.url('f.bin'), file);
      expect(sha256(file)).toBe(server.files['f.bin']!.sha256);
      expect(json).toMatchObject({ schema: 'mptcp-doctor/get/v1', bytes: 20 << 20, totalBytes: 20 << 20, mode: 'epsv', allMptcp: true, ok: true });
      const control = connection(json, 'control');
      const data = connection(json, 'data');
      expect(control).toMatchObject({ socket: 'mptcp', state: 'mptcp' });
      expect(data).toMatchObject({ socket: 'mptcp', state: 'mptcp' });
      // The client's second path joins the control connection (its port 21 listener stays open).
      expect(control.subflows.total).toBe(2);
      // vsftpd accepts the data connection before the client's join arrives at its passive port:
      // the second path joins the data connection too, and both paths carried part of the file.
      expect(data.subflows.total).toBe(2);
      const carriers = data.subflowDetails.filter((s) => (s.tcp?.bytesReceived ?? 0) > 0).map((s) => s.local?.address).sort();
      expect(carriers).toEqual(lab().addresses.client.map((a) => a.v4).sort());
      // Per-subflow bytes were sampled before close: the data subflows together carried the file.
      const received = data.subflowDetails.reduce((sum, s) => sum + (s.tcp?.bytesReceived ?? 0), 0);
      expect(received).toBeGreaterThanOrEqual(20 << 20);

      const put = await cli(['put', file, `ftp://${server.address}:${server.port}/upload/`, '--json']);
      expect(put.exitCode, put.stderr).toBe(0);
      const putJson = JSON.parse(put.stdout) as PutJson;
      expect(putJson).toMatchObject({ schema: 'mptcp-doctor/put/v1', bytes: 20 << 20, allMptcp: true });
      expect(connection(putJson, 'control')).toMatchObject({ state: 'mptcp' });
      expect(connection(putJson, 'control').subflows.total).toBe(2);
      expect(connection(putJson, 'data')).toMatchObject({ socket: 'mptcp', state: 'mptcp' });
      expect(connection(putJson, 'data').subflows.total).toBe(2);
      // Each subflow's bytes count the whole upload: sampled when the server closed, not while most
      // of the file still sat in the send buffer (a 4.8 MiB upload once showed 707 KiB sent).
      const sent = connection(putJson, 'data').subflowDetails.reduce((sum, s) => sum + (s.tcp?.bytesSent ?? 0), 0);
      expect(sent).toBeGreaterThanOrEqual(20 << 20);
      expect(sha256(path.join(server.uploadDir!, path.basename(file)))).toBe(server.files['f.bin']!.sha256);
    } finally {
      await server.stop();
    }
  });

  test('put to serve: each data subflow counts the bytes it sent over the whole upload', async () => {
    // serve reads fast and closes at once: without a sample at its close, the report was taken
    // while most of the file still sat in our send buffer (4.8 MiB reported as 0.7 MiB sent).
    const serve = lab().spawnNode('server', ['serve', '--listen', `${lab().addresses.server.v4}:2120`]);
    try {
      await serve.waitForOutput(/serving ftp:/, 10_000);
      const file = local('up5.bin');
      writeFileSync(file, Buffer.alloc(5_000_000, 7));
      for (let run = 0; run < 3; run += 1) {
        const put = await cli(['put', file, `ftp://${lab().addresses.server.v4}:2120/upload/`, '--json']);
        expect(put.exitCode, put.stderr).toBe(0);
        const data = connection(JSON.parse(put.stdout) as PutJson, 'data');
        const sent = data.subflowDetails.reduce((sum, s) => sum + (s.tcp?.bytesSent ?? 0), 0);
        expect(sent, JSON.stringify(data.subflowDetails.map((s) => [s.local?.address, s.tcp?.state, s.tcp?.bytesSent]))).toBeGreaterThanOrEqual(5_000_000);
      }
    } finally {
      await serve.stop();
    }
  });

  test('active get (EPRT): data connection MPTCP from the server, one subflow', async () => {
    const server = await startVsftpd(lab(), { mptcp: true, files: { 'a.bin': 5 << 20 }, port: 2102 });
    try {
      const file = local('a.bin');
      const json = await getJson(server.url('a.bin'), file, ['--active']);
      expect(sha256(file)).toBe(server.files['a.bin']!.sha256);
      expect(json.mode).toBe('eprt');
      const data = connection(json, 'data');
      expect(data).toMatchObject({ socket: 'mptcp', state: 'mptcp' });
      expect(data.subflows.total).toBe(1);
      // PORT works too.
      const port = await getJson(server.url('a.bin'), local('a.bin'), ['--mode', 'port']);
      expect(port.mode).toBe('port');
      expect(connection(port, 'data').state).toBe('mptcp');
    } finally {
      await server.stop();
    }
  });

  test('explicit FTPS get with a certificate the test made; verification is on by default', async () => {
    const server = await startVsftpd(lab(), { mptcp: true, files: { 't.bin': 3 << 20 }, tls: { require: true }, port: 2103 });
    try {
      const url = server.url('t.bin');
      const refused = await cli(['get', url, '-o', local('t.bin'), '--tls']);
      expect(refused.exitCode).toBe(4);
      expect(refused.stderr).toMatch(/TLS: .*certificate/);
      const file = local('t.bin');
      const json = await getJson(url, file, ['--tls', '--ca', server.certificate!]);
      expect(json.tls).toBe(true);
      expect(sha256(file)).toBe(server.files['t.bin']!.sha256);
      expect(connection(json, 'control')).toMatchObject({ socket: 'mptcp', state: 'mptcp' });
      expect(connection(json, 'data')).toMatchObject({ socket: 'mptcp', state: 'mptcp' });
      // ftpes:// says the same, and TLS session reuse satisfies vsftpd's require_ssl_reuse in active mode too.
      const active = await getJson(`ftpes://${server.address}:${server.port}/t.bin`, local('t.bin'), ['--ca', server.certificate!, '--active']);
      expect(active.tls).toBe(true);
      expect(connection(active, 'data').state).toBe('mptcp');
    } finally {
      await server.stop();
    }
    // Implicit FTPS (ftps://): TLS from the first byte.
    const implicit = await startVsftpd(lab(), { mptcp: true, files: { 'i.bin': 1 << 20 }, tls: { require: true }, port: 2990, config: { implicit_ssl: 'YES' } });
    try {
      const file = local('i.bin');
      const json = await getJson(`ftps://${implicit.address}:${implicit.port}/i.bin`, file, ['--ca', implicit.certificate!]);
      expect(json.tls).toBe(true);
      expect(sha256(file)).toBe(implicit.files['i.bin']!.sha256);
      expect(connection(json, 'control').state).toBe('mptcp');
      const wrong = await cli(['get', `ftps://${implicit.address}:2103/i.bin`, '-o', local('i.bin'), '--timeout', '5']);
      expect(wrong.exitCode).toBe(4);
    } finally {
      await implicit.stop();
    }
  });

  test('IPv6: EPSV data connection on MPTCP, PASV skipped', async () => {
    const address = lab().addresses.server.v6!;
    const server = await startVsftpd(lab(), { mptcp: true, files: { 's6.bin': 2 << 20 }, address, port: 2109 });
    try {
      const file = local('s6.bin');
      const json = await getJson(server.url('s6.bin'), file, ['--verbose']);
      expect(sha256(file)).toBe(server.files['s6.bin']!.sha256);
      expect(json.mode).toBe('epsv');
      expect(connection(json, 'control')).toMatchObject({ state: 'mptcp', remote: { family: 6, address } });
      expect(connection(json, 'data')).toMatchObject({ socket: 'mptcp', state: 'mptcp' });
      const active = await getJson(server.url('s6.bin'), local('s6.bin'), ['--active']);
      expect(active.mode).toBe('eprt');
      const pasv = await cli(['get', server.url('s6.bin'), '-o', local('s6.bin'), '--mode', 'pasv']);
      expect(pasv.exitCode).toBe(4);
      expect(pasv.stderr).toMatch(/no data connection mode available \(pasv\)/);
    } finally {
      await server.stop();
    }
  });

  test('a download interrupted by killing the server resumes with --continue to a byte-identical file', async () => {
    const size = 24 << 20;
    const first = await startVsftpd(lab(), { mptcp: true, files: { 'r.bin': size }, port: 2104 });
    let second: Vsftpd | undefined;
    // Slow paths so the transfer is still running when the server dies.
    await lab().shape(1, { rateMbit: 20, direction: 'down' });
    await lab().shape(2, { rateMbit: 20, direction: 'down' });
    try {
      const file = local('r.bin');
      const running = lab().spawnNode('client', ['get', first.url('r.bin'), '-o', file, '--idle-timeout', '10']);
      await waitForSize(`${file}.part`, 2 << 20, 20_000);
      await first.stop();
      const failed = await running.wait(20_000);
      expect(failed.exitCode).toBe(4);
      expect(failed.stderr).toMatch(/kept .*r\.bin-\d+\.part, \d+ bytes; resume with --continue/);
      expect(existsSync(file)).toBe(false);
      const partial = statSync(`${file}.part`).size;
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(size);

      await lab().unshape(1);
      await lab().unshape(2);
      // Same files, new server process.
      second = await startVsftpd(lab(), { mptcp: true, port: 2105, config: { anon_root: first.root } });
      const json = await getJson(second.url('r.bin'), file, ['--continue']);
      expect(json.offset).toBe(partial);
      expect(json.bytes).toBe(size - partial);
      expect(json.totalBytes).toBe(size);
      expect(existsSync(`${file}.part`)).toBe(false);
      expect(sha256(file)).toBe(first.files['r.bin']!.sha256);
    } finally {
      await lab().unshape(1).catch(() => undefined);
      await lab().unshape(2).catch(() => undefined);
      await first.stop();
      await second?.stop();
    }
  });

  test('a path taken down mid-transfer leaves a correct file (MPTCP carries on)', async () => {
    const size = 24 << 20;
    const server = await startVsftpd(lab(), { mptcp: true, files: { 'l.bin': size }, port: 2106 });
    await lab().shape(1, { rateMbit: 40, direction: 'down' });
    await lab().shape(2, { rateMbit: 40, direction: 'down' });
    try {
      const file = local('l.bin');
      const running = lab().spawnNode('client', ['get', server.url('l.bin'), '-o', file, '--json', '--idle-timeout', '20']);
      await waitForSize(`${file}.part`, 2 << 20, 20_000);
      // Link 1 carries the first subflow of both connections: MPTCP must move everything to link 2.
      await lab().linkDown(1);
      const done = await running.wait(60_000);
      expect(done.exitCode, done.stderr).toBe(0);
      expect(sha256(file)).toBe(server.files['l.bin']!.sha256);
      const json = JSON.parse(done.stdout) as GetJson;
      expect(connection(json, 'control').state).toBe('mptcp');
      const data = connection(json, 'data');
      expect(data.state).toBe('mptcp');
      // The surviving subflow on link 2 carried bytes.
      const link2 = data.subflowDetails.find((s) => s.local?.address === lab().addresses.client[1]!.v4);
      expect(link2?.tcp?.bytesReceived ?? 0).toBeGreaterThan(0);
    } finally {
      await lab().linkUp(1);
      await lab().unshape(1).catch(() => undefined);
      await lab().unshape(2).catch(() => undefined);
      await server.stop();
    }
  });

  test('put --continue sends the rest with SIZE + APPE; get - writes the file to stdout, the report to stderr', async () => {
    const text = Buffer.from('mptcp line\n'.repeat(200_000));
    const server = await startVsftpd(lab(), { mptcp: true, files: { 'text.txt': text }, upload: true, port: 2108 });
    try {
      const whole = path.join(lab().tmpDir, `whole-${++counter}`);
      const half = path.join(lab().tmpDir, `half-${counter}`);
      mkdirSync(whole);
      mkdirSync(half);
      writeFileSync(path.join(whole, 'c.bin'), text);
      writeFileSync(path.join(half, 'c.bin'), text.subarray(0, 1_000_000));
      const dir = `ftp://${server.address}:${server.port}/upload/`;
      const first = await cli(['put', path.join(half, 'c.bin'), dir]);
      expect(first.exitCode, first.stderr).toBe(0);
      const rest = await cli(['put', path.join(whole, 'c.bin'), dir, '--continue', '--json']);
      expect(rest.exitCode, rest.stderr).toBe(0);
      const json = JSON.parse(rest.stdout) as PutJson;
      expect(json).toMatchObject({ offset: 1_000_000, bytes: text.length - 1_000_000, totalBytes: text.length });
      // Buffer.equals: a deep toEqual over megabytes takes vitest seconds.
      expect(readFileSync(path.join(server.uploadDir!, 'c.bin')).equals(text)).toBe(true);

      // The data owns stdout: the report (the full one with -v) goes to stderr.
      const stdout = await cli(['get', server.url('text.txt'), '-', '-v']);
      expect(stdout.exitCode, stdout.stderr).toBe(0);
      expect(stdout.stdout === text.toString()).toBe(true);
      expect(stdout.stderr).toMatch(/downloaded .* -> -/s);
      expect(stdout.stderr).toMatch(/data connection \(epsv\): MPTCP/);
    } finally {
      await server.stop();
    }
  });

  test('bare vsftpd (plain TCP): the transfer succeeds, every connection says fallback; --require-mptcp exits 1', async () => {
    const server = await startVsftpd(lab(), { mptcp: false, files: { 'b.bin': 1 << 20 }, port: 2107 });
    try {
      const file = local('b.bin');
      const json = await getJson(server.url('b.bin'), file);
      expect(sha256(file)).toBe(server.files['b.bin']!.sha256);
      expect(json.allMptcp).toBe(false);
      expect(connection(json, 'control')).toMatchObject({ socket: 'mptcp', state: 'fallback' });
      expect(connection(json, 'data')).toMatchObject({ socket: 'mptcp', state: 'fallback' });
      // The same verdict engine as probe's: a server without MPTCP, as far as the client can tell.
      expect(json.connections.map((c) => `${c.label}: ${c.status}/${c.cause}`)).toEqual([
        'control: fell-back/peer-or-path-no-mptcp',
        'data epsv: fell-back/peer-or-path-no-mptcp',
      ]);
      expect(json.verdict).toMatchObject({ status: 'fell-back', cause: 'peer-or-path-no-mptcp' });

      const required = await cli(['get', server.url('b.bin'), '-o', local('b.bin'), '--require-mptcp']);
      expect(required.exitCode).toBe(1);
      expect(required.stdout).toMatch(/^MPTCP fell back to TCP on every connection \(peer-or-path-no-mptcp\)$/m);
      expect(required.stderr).toMatch(/^mptcp-doctor: MPTCP did not hold on every connection, and --require-mptcp demands it$/m);
      // --tcp: plain TCP on purpose, reported as such.
      const tcp = await getJson(server.url('b.bin'), local('b.bin'), ['--tcp']);
      expect(connection(tcp, 'control')).toMatchObject({ socket: 'tcp', state: 'tcp', socketReason: 'forced' });
    } finally {
      await server.stop();
    }
  });
});
