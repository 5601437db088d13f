// `mptcp-doctor probe` as a user runs it, on loopback: the compiled CLI against our own server
// (in this process), a plain-TCP one, a scripted one, and bad input.
import net from 'node:net';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type ProbeServer } from '../../src/server/index.js';
import { requireDist } from '../support/dist.js';

const cli = requireDist();

function run(...args: string[]) {
  return execa('node', [cli, 'probe', ...args], { reject: false, timeout: 60_000, env: { NO_COLOR: '1' } });
}

describe('probe on loopback', () => {
  let serve: ProbeServer;
  let tcpServe: ProbeServer;
  beforeAll(async () => {
    serve = await startServer({ host: '127.0.0.1', port: 0 });
    tcpServe = await startServer({ host: '127.0.0.1', port: 0, tcp: true });
  });
  afterAll(async () => {
    await Promise.all([serve.close(0), tcpServe.close(0)]);
  });

  test('against serve: held, SHA-256 matched, exit 0; the verdict line comes first', async () => {
    const human = await run(`ftp://127.0.0.1:${serve.port}/`, '--mode', 'epsv');
    expect(human.exitCode).toBe(0);
    expect(human.stdout.split('\n')[0]).toBe(`ftp://127.0.0.1:${serve.port}/: MPTCP held`);
    expect(human.stdout).toContain('SHA-256 matched');
    const json = await run(`ftp://127.0.0.1:${serve.port}/`, '--mode', 'epsv,eprt', '--size', '2M', '--upload', '--json');
    expect(json.exitCode).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({ schema: 'mptcp-doctor/probe/v1', verdict: { status: 'held', cause: 'none' }, target: { server: 'serve' } });
    expect(result.runs.map((r: { mode: string }) => r.mode)).toEqual(['epsv', 'eprt']);
    // Per run: a download, its .sha256, and the upload: all verified.
    const transfers = result.runs.flatMap((r: { transfers: unknown[] }) => r.transfers);
    expect(transfers).toHaveLength(4);
    expect(transfers.every((t: { matched: boolean }) => t.matched === true)).toBe(true);
    expect(result.transfer).toMatchObject({ matched: true });
    const roles = result.connections.map((c: { role: string; mode: string; purpose: string }) => `${c.role}:${c.mode}:${c.purpose}`);
    expect(roles).toEqual([
      'control:epsv:control', 'data:epsv:transfer', 'data:epsv:checksum', 'data:epsv:upload',
      'control:eprt:control', 'data:eprt:transfer', 'data:eprt:checksum', 'data:eprt:upload',
    ]);
    for (const connection of result.connections) {
      expect(connection.samples.length).toBeGreaterThan(0);
      expect(connection.samples.every((s: { state: string }) => s.state === 'mptcp')).toBe(true);
    }
    const control = result.connections[0];
    expect(control.samples.map((s: { phase: string }) => s.phase)).toEqual(expect.arrayContaining(['connect', 'login', 'after-EPSV', 'end']));
    expect(control.server).toMatchObject({ socket: 'mptcp', state: 'mptcp', mpCapableReceived: true });
    // The far end's view of the data connection is the transfer's, not the later .sha256 download's.
    expect(result.connections[1].server).toMatchObject({ state: 'mptcp', command: 'RETR', bytes: 2 << 20 });
  });

  test('--mode all: one run per data mode, summed up in a matrix first', async () => {
    const human = await run(`ftp://127.0.0.1:${serve.port}/`, '--mode', 'all');
    expect(human.exitCode).toBe(0);
    for (const mode of ['epsv', 'pasv', 'eprt', 'port']) {
      expect(human.stdout).toMatch(new RegExp(`^${mode}\\s+held\\s+held\\s+held$`, 'm'));
      expect(human.stdout).toContain(`${mode} mode: MPTCP held`);
    }
  });

  test('as root the kernel\'s events join the evidence; unprivileged the verdict is the same without them', async () => {
    const root = JSON.parse((await run(`ftp://127.0.0.1:${serve.port}/`, '--mode', 'epsv', '--json')).stdout);
    expect(root.verdict.status).toBe('held');
    expect(root.connections[0].kernel?.subflows[0]).toMatchObject({ initial: true, established: true });
    // Without CAP_NET_ADMIN, which the kernel's MPTCP events need (still root: a checkout only root
    // may read must still run).
    const unprivileged = await execa('setpriv', ['--inh-caps=-net_admin', '--bounding-set=-net_admin', 'node', cli, 'probe', `ftp://127.0.0.1:${serve.port}/`, '--mode', 'epsv', '--json'], {
      reject: false, timeout: 60_000, env: { NO_COLOR: '1' },
    });
    expect(unprivileged.exitCode, `${unprivileged.stdout}\n${unprivileged.stderr}`).toBe(0);
    const json = JSON.parse(unprivileged.stdout);
    expect(json.verdict).toMatchObject({ status: 'held', cause: 'none' });
    expect(json.connections.every((c: { kernel?: unknown }) => c.kernel === undefined)).toBe(true);
  });

  test('IPv6: [::1] URL, the MPTCP socket and the server on ::1', async () => {
    const six = await startServer({ host: '::1', port: 0 });
    try {
      const result = await run(`ftp://[::1]:${six.port}/`, '--mode', 'epsv', '--json');
      expect(result.exitCode).toBe(0);
      const json = JSON.parse(result.stdout);
      expect(json.verdict.status).toBe('held');
      expect(json.connections[0].report.remote).toMatchObject({ family: 6, address: '::1' });
    } finally {
      await six.close(0);
    }
  });

  test('a fallback explained for people: evidence and advice, within 80 columns', async () => {
    const human = await run(`ftp://127.0.0.1:${tcpServe.port}/`, '--mode', 'epsv');
    expect(human.exitCode).toBe(1);
    expect(human.stdout.split('\n')[0]).toBe(`ftp://127.0.0.1:${tcpServe.port}/: MPTCP fell back to TCP: peer-no-mptcp`);
    expect(human.stdout).toMatch(/^evidence:$/m);
    expect(human.stdout).toMatch(/^advice:$/m);
    for (const line of human.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  test('against serve listening with plain TCP: fell-back, peer-no-mptcp, exit 1', async () => {
    const result = await run(`ftp://127.0.0.1:${tcpServe.port}/`, '--mode', 'pasv', '--json');
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.stdout).verdict).toMatchObject({ status: 'fell-back', cause: 'peer-no-mptcp' });
  });

  test('--tcp: not-attempted, and exit 0 (plain TCP was asked for and given)', async () => {
    const result = await run(`ftp://127.0.0.1:${serve.port}/`, '--mode', 'epsv', '--tcp', '--json');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).verdict.status).toBe('not-attempted');
  });

  test('a URL naming a missing file: the probe cannot run, exit 4, one line naming the 550', async () => {
    const result = await run(`ftp://127.0.0.1:${serve.port}/probe/nope`, '--mode', 'epsv', '--json');
    expect(result.exitCode).toBe(4);
    // --json: still exactly one object, the probe schema with the error.
    const json = JSON.parse(result.stdout) as { schema: string; error: { code: string; message: string; exitCode: number } };
    expect(json).toMatchObject({ schema: 'mptcp-doctor/probe/v1', error: { exitCode: 4 } });
    expect(json.error.message).toMatch(/^no such file .*550/);
    expect(result.stderr.trim()).toMatch(/^mptcp-doctor: no such file .*550/);
  });
});

describe('probe, bad input and unreachable servers', () => {
  test.each([
    [['http://example.org/'], 'unsupported scheme'],
    [['ftp://127.0.0.1/', '--mode', 'sideways'], 'unknown --mode'],
    [['ftp://127.0.0.1/', '--size', '0'], 'bad --size'],
    [['ftp://127.0.0.1/', '--timeout', '0'], '--timeout'],
    [['ftp://127.0.0.1/file', '--upload'], '--upload needs a server URL'],
  ])('%j: exit 2', async (args, message) => {
    const result = await run(...args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
  });

  test('a closed port: exit 4, one line', async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => probe.once('listening', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const result = await run(`ftp://127.0.0.1:${port}/`);
    expect(result.exitCode).toBe(4);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('connection refused');
  });

  test('login refused by a server that echoes the password: exit 4, password scrubbed', async () => {
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.write('220 scripted\r\n');
      socket.on('data', (chunk) => {
        const line = chunk.toString();
        if (line.startsWith('USER')) socket.write('331 password please\r\n');
        else if (line.startsWith('PASS')) socket.write(`530 wrong password ${line.slice(5).trim()}\r\n`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const result = await run(`ftp://alice:hunter22@127.0.0.1:${port}/file`, '--mode', 'epsv');
    server.close();
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain('530');
    expect(result.stderr).not.toContain('hunter22');
    expect(result.stdout).not.toContain('hunter22');
  });

  test('a server URL whose far end is not serve: exit 4, asks for a file', async () => {
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.write('220 plain\r\n');
      socket.on('data', (chunk) => {
        const verb = chunk.toString().split(/\s/)[0];
        const replies: Record<string, string> = { USER: '331 ok', PASS: '230 in', FEAT: '211 none', TYPE: '200 binary', SITE: '500 what', QUIT: '221 bye' };
        socket.write(`${replies[verb!] ?? '502 no'}\r\n`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const result = await run(`ftp://127.0.0.1:${port}/`, '--mode', 'epsv');
    server.close();
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/names no file and the server is not mptcp-doctor serve/);
  });
});
