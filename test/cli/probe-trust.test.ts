// The probe must never blame MPTCP or a middlebox without MPTCP evidence. Far ends on loopback that
// fail for other reasons: an MPTCP FTP server whose data connection stalls (the client's own
// teardown afterwards must not read as "option-stripped"), servers that are not FTP servers, and a
// far end whose digest cannot be read (the transfer must be reported as not verified).
import http from 'node:http';
import net from 'node:net';
import { execa } from 'execa';
import { afterEach, describe, expect, test } from 'vitest';
import { listenMptcp, type MptcpListener } from '../../src/net/listen.js';
import { SITE_MPTCP_SCHEMA } from '../../src/protocol/site-mptcp.js';
import { requireDist } from '../support/dist.js';
import { Session } from '../unit/ftp/scripted-server.js';

const cli = requireDist();

function probe(...args: string[]) {
  return execa('node', [cli, 'probe', ...args], { reject: false, timeout: 60_000, env: { NO_COLOR: '1' } });
}

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** An MPTCP FTP far end on 127.0.0.1 running `script` per control connection. */
type DataListener = { port: number; accepted: Promise<net.Socket> };

async function mptcpScripted(script: (session: Session, dataListener: () => Promise<DataListener>) => Promise<void>): Promise<number> {
  const sockets: net.Socket[] = [];
  const listeners: MptcpListener[] = [];
  const listener = await listenMptcp({ host: '127.0.0.1', port: 0 }, (socket) => {
    sockets.push(socket);
    const session = new Session(socket);
    const data = async (): Promise<DataListener> => {
      let resolve!: (socket: net.Socket) => void;
      const accepted = new Promise<net.Socket>((r) => (resolve = r));
      const l = await listenMptcp({ host: '127.0.0.1', port: 0 }, (s) => {
        sockets.push(s);
        s.on('error', () => undefined);
        resolve(s);
      });
      listeners.push(l);
      return { port: l.port, accepted };
    };
    script(session, data).catch(() => undefined);
  });
  closers.push(() => {
    for (const s of sockets) s.destroy();
    for (const l of [listener, ...listeners]) l.server.close();
  });
  return listener.port;
}

/** A minimal SITE MPTCP answer: enough for the probe to treat the far end as mptcp-doctor serve. */
const SITE_REPLY = `200 ${JSON.stringify({
  schema: SITE_MPTCP_SCHEMA,
  listener: { socket: 'mptcp' },
  control: { socket: 'mptcp', state: 'mptcp', mpCapableReceived: true, listener: 'mptcp', subflows: { total: 1, list: [] }, checksum: { enabled: null, source: 'unknown' }, sampledAt: '' },
  data: null,
  counters: { since: '', deltas: {} },
})}\r\n`;

describe('probe: no MPTCP verdict without MPTCP evidence', () => {
  test('a data connection that stalls with MPTCP intact: the probe could not run (exit 4), no middlebox named, our teardown not judged', async () => {
    const port = await mptcpScripted(async (session, dataListener) => {
      session.send('220 scripted\r\n');
      const data = await dataListener();
      await session.serveUntil(/^RETR /, { SITE: '500 no\r\n', SIZE: '213 1048576\r\n', EPSV: `229 Entering Extended Passive Mode (|||${data.port}|)\r\n` });
      session.send('150 Here it comes (never).\r\n');
      await session.read(); // hold the control connection open
    });
    const result = await probe(`ftp://127.0.0.1:${port}/file.bin`, '--mode', 'epsv', '--idle-timeout', '3', '--json');
    expect(result.exitCode).toBe(4);
    const json = JSON.parse(result.stdout);
    expect(json.outcome).toBe('could-not-run');
    expect(json.error).toMatchObject({ exitCode: 4 });
    expect(json.error.message).toMatch(/could not run/);
    for (const connection of json.connections) expect(['none']).toContain(connection.cause);
    expect(json.verdict.cause).toBe('none');
    // The evidence ends where the client gave up: what its own teardown caused is shown apart, not judged.
    expect(json.runs[0].gaveUp.reason).toMatch(/idle/);
    const human = await probe(`ftp://127.0.0.1:${port}/file.bin`, '--mode', 'epsv', '--idle-timeout', '3');
    expect(human.exitCode).toBe(4);
    expect(human.stdout.split('\n')[0]).toContain('the probe could not run');
    expect(human.stdout).not.toMatch(/option-stripped|degraded/);
  }, 30_000);

  test('an HTTP server is not an FTP server (exit 4, said so), not a fallback verdict', async () => {
    const server = http.createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const started = Date.now();
    const result = await probe(`ftp://127.0.0.1:${port}/`, '--timeout', '3');
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(`127.0.0.1:${port} is not an FTP server`);
    expect(result.stdout).toBe('');
    // One run is enough to know: the probe does not try every mode against it.
    expect(Date.now() - started).toBeLessThan(8_000);
  }, 30_000);

  test('an SSH-like banner is not an FTP greeting', async () => {
    const server = net.createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const result = await probe(`ftp://127.0.0.1:${port}/`, '--timeout', '5');
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain('is not an FTP server');
  }, 30_000);

  test.each([
    ['get', (port: number) => ['get', `ftp://127.0.0.1:${port}/file.bin`, '-o', '/dev/null']],
    ['put', (port: number) => ['put', '/etc/hostname', `ftp://127.0.0.1:${port}/upload.bin`]],
  ] as const)('%s says the same of an HTTP server: not an FTP server, exit 4, its own error code', async (_name, argv) => {
    const server = http.createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const result = await execa('node', [cli, ...argv(port), '--timeout', '2', '--json'], { reject: false, timeout: 30_000 });
    expect(result.exitCode).toBe(4);
    expect(JSON.parse(result.stdout).error).toMatchObject({
      code: 'not-ftp-server',
      message: `127.0.0.1:${port} is not an FTP server: it accepted the connection but sent no FTP greeting within 2 s`,
    });
  }, 30_000);

  test('a far end whose digest cannot be read: the transfer is reported as not verified, and why', async () => {
    const size = 64 * 1024;
    const port = await mptcpScripted(async (session, dataListener) => {
      session.send('220 scripted serve\r\n');
      for (;;) {
        const data = await dataListener();
        const line = await session.serveUntil(/^RETR /, {
          SITE: SITE_REPLY,
          SIZE: `213 ${size}\r\n`,
          EPSV: `229 Entering Extended Passive Mode (|||${data.port}|)\r\n`,
        });
        if (line === undefined) return;
        if (line.endsWith('.sha256')) {
          session.send('550 No digest here.\r\n');
          continue;
        }
        const accepted = await data.accepted;
        session.send('150 Opening.\r\n');
        accepted.end(Buffer.alloc(size, 7), () => session.send('226 Done.\r\n'));
      }
    });
    const result = await probe(`ftp://127.0.0.1:${port}/`, '--mode', 'epsv', '--size', '64K', '--json');
    const json = JSON.parse(result.stdout);
    expect(json.transfer.bytes).toBe(size);
    expect(json.transfer.matched).toBeNull();
    expect(json.transfer.notVerified).toContain('.sha256');
    const human = await probe(`ftp://127.0.0.1:${port}/`, '--mode', 'epsv', '--size', '64K');
    expect(human.stdout).toContain('NOT VERIFIED');
  }, 30_000);
});
