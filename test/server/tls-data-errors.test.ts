// TLS on data connections. A TLS failure is told plainly in the 426 reply: before, the reply quoted
// OpenSSL ("426-Data connection closed: write EPROTO 80BC...:error:0A00009C:SSL routines:
// ssl3_get_record:http request:../deps/openssl/...") and even broke into two reply lines; the
// library's text goes to the server log, where the administrator can use it. And an upload's data
// connection ends with our close_notify, which Python's ftplib waits for (unwrap).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeDataFailure } from '../../src/server/data-errors.js';
import { startServer, type ProbeServer, type ServerEvent } from '../../src/server/index.js';
import { missingRequirement } from '../support/gate.js';
import { expectCode, RawClient } from './support/raw-client.js';

const OPENSSL_TEXT = /routines|error:[0-9A-F]{8}|EPROTO|\.c:\d+/;

describe('describeDataFailure: plain words for the 426 reply', () => {
  const error = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
  test.each([
    [error('write EPROTO 80BCACBF797F0000:error:0A00009C:SSL routines:ssl3_get_record:http request:../deps/openssl/openssl/ssl/record/ssl3_record.c:341:\n', 'EPROTO'), /did not speak TLS there/],
    [error('...:SSL routines:ssl3_get_record:wrong version number:...', 'ERR_SSL_WRONG_VERSION_NUMBER'), /did not speak TLS there/],
    [error('...:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:...', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), /refused the server certificate/],
    [error('...:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:...', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), /refused the server certificate/],
    [error('...:SSL routines:tls_early_post_process_client_hello:unsupported protocol:...', 'ERR_SSL_UNSUPPORTED_PROTOCOL'), /no TLS version or cipher in common/],
    [error('something new', 'ERR_SSL_SOMETHING_NEW'), /^TLS failed on the data connection$/],
    [error('read ECONNRESET', 'ECONNRESET'), /^Data connection reset by your side$/],
    [error('weird'), /^Data connection failed$/],
  ])('%s', (failure, expected) => {
    const described = describeDataFailure(failure);
    expect(described.reply).toMatch(expected);
    expect(described.reply).not.toMatch(OPENSSL_TEXT);
    expect(described.reply).not.toContain('\n');
  });
});

const skip = missingRequirement('TLS data connection errors', 'tool:openssl', 'tool:python3');
const tlsUploads = join(import.meta.dirname, 'fixtures', 'tls-uploads.py');

describe.skipIf(skip)('TLS data connections: plain 426 replies, clean shutdowns', () => {
  let dir = '';
  let server: ProbeServer;
  const events: ServerEvent[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mptcp-doctor-tls-data-'));
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { timeout: 30_000 });
    server = await startServer({
      port: 0,
      dataTimeoutMs: 5000,
      tls: { cert: await readFile(join(dir, 'cert.pem')), key: await readFile(join(dir, 'key.pem')) },
      logger: (event) => events.push(event),
    });
  });
  afterAll(async () => {
    await server?.close(0);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function protectedSession(): Promise<RawClient> {
    const client = await RawClient.connect(server.port);
    expectCode(await client.reply(), 220);
    await client.startTls();
    expectCode(await client.command('USER anonymous'), 331);
    expectCode(await client.command('PASS x'), 230);
    expectCode(await client.command('PBSZ 0'), 200);
    expectCode(await client.command('PROT P'), 200);
    return client;
  }

  test('a client speaking plain text on a PROT P data connection: one plain 426 line; OpenSSL\'s text only in the log', async () => {
    const client = await protectedSession();
    const epsv = expectCode(await client.command('EPSV'), 229);
    const data = net.connect({ port: Number(/\|(\d+)\|/.exec(epsv.text)![1]), host: '127.0.0.1' });
    data.on('error', () => undefined);
    await new Promise((r) => data.once('connect', r));
    data.write('GET / HTTP/1.0\r\n\r\n');
    expectCode(await client.command('RETR /probe/1M'), 150);
    const failed = await client.reply();
    expect(failed).toEqual({ code: 426, text: 'TLS failed on the data connection: your client did not speak TLS there (PROT P is in effect); transfer aborted' });
    // The session goes on.
    expectCode(await client.command('NOOP'), 200);
    const logged = events.find((e) => e.event === 'transfer-aborted' && e.reason === 'tls');
    expect(logged?.message).toMatch(/http request/);
    data.destroy();
    client.close();
  });

  test('a client that gives up in the middle of the TLS handshake: a plain 426, at once', async () => {
    const client = await protectedSession();
    const epsv = expectCode(await client.command('EPSV'), 229);
    // Node's client refuses the self-signed certificate and closes the connection mid-handshake.
    const data = tls.connect({ port: Number(/\|(\d+)\|/.exec(epsv.text)![1]), host: '127.0.0.1', rejectUnauthorized: true });
    data.on('error', () => undefined);
    const started = performance.now();
    expectCode(await client.command('RETR /probe/1M'), 150);
    const failed = await client.reply();
    expect(failed.code).toBe(426);
    expect(failed.text).not.toMatch(OPENSSL_TEXT);
    expect(failed.text).toMatch(/^(Data connection closed by your side before the transfer completed|Data connection reset by your side|TLS failed on the data connection[^;]*); transfer aborted$/);
    // Not after the data timeout: the server saw the client go.
    expect(performance.now() - started).toBeLessThan(3000);
    client.close();
  });

  test('uploads over TLS 1.3 end with our close_notify: 4 clients x 8 uploads, every unwrap succeeds', async () => {
    // Before, ending the socket from inside the read that delivered the client's close_notify sent
    // our FIN without close_notify whenever the session tickets were still being written: Python's
    // unwrap() failed with "EOF occurred in violation of protocol" (in 7 to 24 of 40 uploads here).
    const runs = await Promise.all([0, 1, 2, 3].map(() => execa('python3', [tlsUploads, '127.0.0.1', String(server.port), '8'], { timeout: 60_000, reject: false })));
    for (const run of runs) {
      expect(run.exitCode, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ ok: 8, errors: [] });
    }
  });
});
