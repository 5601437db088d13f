// The probe server in-process on 127.0.0.1 (host namespace, loopback only, no host changes):
// commands, SITE MPTCP, listings and transfers. Hostile input is in serve-hostile-input.test.ts,
// listener options and client limits in serve-options.test.ts.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { parseSiteMptcpReply } from '../../src/protocol/site-mptcp.js';
import { computeDigest } from '../../src/server/index.js';
import { useLoopbackServe } from './support/loopback-serve.js';
import { expectCode } from './support/raw-client.js';

const MIB = 1 << 20;

describe('serve on loopback', () => {
  const serve = useLoopbackServe({ lineTimeoutMs: 1500, idleTimeoutMs: 3000, maxClientsPerAddress: 20, maxUpload: 2 * MIB });
  const { events, login, connect } = serve;

  test('an MPTCP listener on 127.0.0.1, greeting and anonymous login', async () => {
    expect(serve.server.socket).toBe('mptcp');
    expect(serve.server.address).toBe('127.0.0.1');
    const client = await connect();
    expect((await client.reply()).code).toBe(220);
    expect((await client.command('USER root')).code).toBe(530);
    expectCode(await client.command('USER anonymous'), 331);
    expectCode(await client.command('PASS my-secret-pass'), 230);
    expect(JSON.stringify(events)).not.toContain('my-secret-pass');
  });

  test('commands before login are refused, then work after', async () => {
    const client = await connect();
    await client.reply();
    expect((await client.command('PWD')).code).toBe(530);
    expect((await client.command('SYST')).text).toBe('UNIX Type: L8');
    const feat = await client.command('FEAT');
    expect(feat.code).toBe(211);
    expect(feat.text).toContain('EPSV');
    expect(feat.text).toContain('SITE MPTCP');
    expect(feat.text).not.toContain('AUTH TLS'); // no certificate given
    expect((await client.command('AUTH TLS')).code).toBe(502);
  });

  test('navigation, SIZE, MDTM, TYPE, MODE, STRU, unknown commands', async () => {
    const client = await login();
    expect((await client.command('PWD')).text).toMatch(/^"\/"/);
    expectCode(await client.command('CWD probe'), 250);
    expect((await client.command('PWD')).text).toMatch(/^"\/probe"/);
    expect(await client.command('SIZE 10M')).toEqual({ code: 213, text: String(10 * MIB) });
    expect(await client.command('SIZE 10M.sha256')).toEqual({ code: 213, text: '70' });
    expect(await client.command('MDTM 1G')).toEqual({ code: 213, text: '20250101000000' });
    expect((await client.command('SIZE /upload')).code).toBe(550);
    expectCode(await client.command('CDUP'), 250);
    expect((await client.command('PWD')).text).toMatch(/^"\/"/);
    expectCode(await client.command('TYPE I'), 200);
    expect((await client.command('TYPE E')).code).toBe(504);
    expectCode(await client.command('MODE S'), 200);
    expect((await client.command('MODE B')).code).toBe(504);
    expectCode(await client.command('STRU F'), 200);
    expect((await client.command('XYZZ')).code).toBe(502);
    expect((await client.command('SITE CHMOD 777 x')).code).toBe(502);
    expectCode(await client.command('NOOP'), 200);
    expect((await client.command('HELP')).code).toBe(214);
    expect((await client.command('QUIT')).code).toBe(221);
    expect(await client.closedWithin(2000)).toBe(true);
  });

  test('RETR /probe/10M has the SHA-256 that /probe/10M.sha256 states; REST resumes', async () => {
    const client = await login();
    const expected = await computeDigest(10 * MIB);
    const file = await client.download('/probe/10M');
    expect(file.bytes).toBe(10 * MIB);
    expect(file.sha256).toBe(expected);
    expect(file.final.code).toBe(226);
    const digestFile = await client.download('/probe/10M.sha256');
    expect(digestFile.final.code).toBe(226);
    // Download the .sha256 text itself to compare its content.
    const epsv = await client.command('EPSV');
    const port = Number(/\|(\d+)\|/.exec(epsv.text)![1]);
    const data = net.connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    data.on('data', (c: Buffer) => chunks.push(c));
    const closed = new Promise((r) => data.on('close', r));
    expectCode(await client.command('RETR /probe/10M.sha256'), 150);
    await closed;
    expectCode(await client.reply(), 226);
    expect(Buffer.concat(chunks).toString()).toBe(`${expected}  10M\n`);
    // REST: the tail from an odd offset equals the tail of the whole file.
    const tail = await client.download('/probe/1M', { rest: 1000 });
    const whole = await client.download('/probe/1M');
    expect(tail.bytes).toBe(MIB - 1000);
    expect(whole.bytes).toBe(MIB);
    expect((await client.command('REST 5000000')).code).toBe(350);
    expect((await client.command('RETR /probe/1M')).code).toBe(554);
  });

  test('SITE MPTCP from a plain TCP client: socket tcp, no MP_CAPABLE seen', async () => {
    const client = await login(false);
    await client.download('/probe/1M');
    const view = parseSiteMptcpReply((await client.command('SITE MPTCP')).text);
    expect(view.control).toMatchObject({ socket: 'tcp', state: 'tcp', mpCapableReceived: false, subflows: { total: 1 } });
    expect(view.control.checksum.source).toBe('sysctl');
    expect(view.data).toMatchObject({ socket: 'tcp', state: 'tcp', mpCapableReceived: false, mode: 'passive', bytes: MIB });
  });

  test('SITE MPTCP: JSON view of control and last data connection, counters since login', async () => {
    const client = await login(true);
    const before = parseSiteMptcpReply((await client.command('SITE MPTCP')).text);
    expect(before.schema).toBe('mptcp-doctor/site-mptcp/v1');
    expect(before.listener).toEqual({ socket: 'mptcp' });
    expect(before.control).toMatchObject({ socket: 'mptcp', state: 'mptcp', mpCapableReceived: true, subflows: { total: 1 } });
    expect(before.control.subflows.list[0]).toMatchObject({ local: `127.0.0.1:${serve.server.port}` });
    expect(before.control.remote).toBe(`127.0.0.1:${client.socket.localPort}`);
    expect(before.control.checksum.enabled).not.toBeNull();
    expect(before.data).toBeNull();
    await client.download('/probe/1M');
    const after = parseSiteMptcpReply((await client.command('SITE MPTCP')).text);
    expect(after.data).toMatchObject({ mode: 'passive', command: 'RETR', bytes: MIB, outcome: 'complete', sampled: 'before-close', socket: 'mptcp', state: 'mptcp' });
    expect('deltas' in after.counters && after.counters.deltas.MPCapableSYNRX).toBeGreaterThanOrEqual(1); // our data connection
  });

  test('uploads are counted, hashed and discarded; outside /upload refused; over the limit 552', async () => {
    const client = await login();
    const payload = Buffer.from('hello mptcp\n'.repeat(1000));
    const upload = async (path: string, body: Buffer) => {
      const epsv = expectCode(await client.command('EPSV'), 229);
      const data = net.connect({ port: Number(/\|(\d+)\|/.exec(epsv.text)![1]), host: '127.0.0.1' });
      data.on('error', () => undefined);
      await new Promise((r) => data.once('connect', r));
      const opening = await client.command(`STOR ${path}`);
      if (opening.code !== 150) {
        data.destroy();
        return opening;
      }
      data.end(body);
      return client.reply();
    };
    const stored = await upload('/upload/hello.txt', payload);
    expect(stored.code).toBe(226);
    expect(stored.text).toContain(`received ${payload.length} bytes`);
    expect(stored.text).toContain(createHash('sha256').update(payload).digest('hex'));
    expect((await upload('/probe/1M', payload)).code).toBe(553);
    expect((await upload('/upload/big', Buffer.alloc(3 * MIB))).code).toBe(552);
    expectCode(await client.command('NOOP'), 200);
  });

  test('active mode to our own address works; PORT/EPRT bounce to another address is refused', async () => {
    const client = await login();
    const listener = net.createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as net.AddressInfo).port;
    const received = new Promise<Buffer>((resolve) => {
      listener.once('connection', (socket) => {
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('end', () => resolve(Buffer.concat(chunks)));
      });
    });
    expectCode(await client.command(`PORT 127,0,0,1,${port >> 8},${port & 255}`), 200);
    expectCode(await client.command('RETR /probe/1M'), 150);
    const body = await received;
    expectCode(await client.reply(), 226);
    listener.close();
    expect(createHash('sha256').update(body).digest('hex')).toBe(await computeDigest(MIB));
    const view = parseSiteMptcpReply((await client.command('SITE MPTCP')).text);
    expect(view.data).toMatchObject({ mode: 'active', mpCapableReceived: null, socket: 'mptcp' });
    // FTP bounce (RFC 2577): data connections only to the client's own address, no privileged ports.
    expect((await client.command('PORT 10,9,8,7,0,80')).code).toBe(500);
    expect((await client.command('EPRT |1|192.0.2.1|8080|')).code).toBe(500);
    expect((await client.command('EPRT |1|127.0.0.1|25|')).code).toBe(500);
    expect((await client.command('EPRT |2|::1|8080|')).code).toBe(500);
    expect((await client.command('PORT 1,2,3')).code).toBe(501);
    expect(JSON.stringify(events)).toContain('bounce-refused');
  });

  test('EPSV ALL: PASV, PORT and EPRT refused afterwards', async () => {
    const client = await login();
    expectCode(await client.command('EPSV ALL'), 200);
    expect((await client.command('PASV')).code).toBe(503);
    expect((await client.command('PORT 127,0,0,1,4,0')).code).toBe(503);
    expectCode(await client.command('EPSV'), 229);
  });

  test('PASV, LIST, NLST and MLSD', async () => {
    const client = await login();
    const listing = async (command: string) => {
      const pasv = expectCode(await client.command('PASV'), 227);
      const [, a, b, c, d, p1, p2] = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(pasv.text)!.map(Number);
      expect([a, b, c, d].join('.')).toBe('127.0.0.1');
      const data = net.connect({ port: p1! * 256 + p2!, host: '127.0.0.1' });
      let text = '';
      data.setEncoding('utf8').on('data', (c: string) => (text += c));
      const closed = new Promise((r) => data.on('close', r));
      const opening = await client.command(command);
      if (opening.code !== 150) {
        data.destroy();
        return { opening, text };
      }
      await closed;
      return { opening, text, final: await client.reply() };
    };
    const list = await listing('LIST -la /probe');
    expect(list.final?.code).toBe(226);
    expect(list.text).toMatch(/^-r--r--r-- .* 10485760 Jan 01  2025 10M\r$/m);
    expect((await listing('NLST /probe')).text.split('\r\n')).toContain('1G.sha256');
    expect((await listing('MLSD /')).text).toContain('type=dir;modify=20250101000000;perm=cel; upload');
    expect((await listing('LIST /etc')).opening.code).toBe(550);
  });

  test('ABOR during a 1 GiB download: 426 then 226, the session goes on', async () => {
    const client = await login();
    const epsv = expectCode(await client.command('EPSV'), 229);
    const data = net.connect({ port: Number(/\|(\d+)\|/.exec(epsv.text)![1]), host: '127.0.0.1' });
    data.on('error', () => undefined);
    const firstBytes = once(data, 'data', { signal: AbortSignal.timeout(10_000) });
    expectCode(await client.command('RETR /probe/1G'), 150);
    // The transfer runs; from now on a slow reader: it is still running when ABOR arrives.
    await firstBytes;
    data.pause();
    client.write(Buffer.from([0xff, 0xf4, 0xff, 0xf2])); // Telnet IP + DM, as lftp sends
    client.write('ABOR\r\n');
    expect((await client.reply()).code).toBe(426);
    expect((await client.reply()).code).toBe(226);
    data.destroy();
    expect((await client.command('ABOR')).code).toBe(225);
    expectCode(await client.command('NOOP'), 200);
  });

  test('an unused passive data connection is closed by the next PASV (no session hang, no leak)', async () => {
    const client = await login();
    const first = expectCode(await client.command('EPSV'), 229);
    const data = net.connect({ port: Number(/\|(\d+)\|/.exec(first.text)![1]), host: '127.0.0.1' });
    data.on('error', () => undefined);
    await new Promise((r) => data.once('connect', r));
    const closed = new Promise((r) => data.once('close', r));
    expectCode(await client.command('EPSV', 2000), 229);
    await closed;
    const file = await client.download('/probe/1M');
    expect(file.final.code).toBe(226);
  });
});
