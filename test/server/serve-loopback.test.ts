// The probe server in-process on 127.0.0.1 (host namespace, loopback only, no host changes):
// commands, SITE MPTCP, transfers, and hostile input, each refused or cut off
// while another client keeps being served.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseSiteMptcpReply } from '../../src/protocol/site-mptcp.js';
import { computeDigest, startServer, type ProbeServer, type ServerEvent } from '../../src/server/index.js';
import { waitFor } from '../support/wait-for.js';
import { expectCode, RawClient } from './support/raw-client.js';

const MIB = 1 << 20;

describe('serve on loopback', () => {
  let server: ProbeServer;
  const events: ServerEvent[] = [];
  const clients: RawClient[] = [];
  const login = async (mptcp = false) => {
    const client = await RawClient.login(server.port, '127.0.0.1', mptcp);
    clients.push(client);
    return client;
  };
  const connect = async () => {
    const client = await RawClient.connect(server.port);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startServer({
      port: 0,
      lineTimeoutMs: 1500,
      idleTimeoutMs: 3000,
      maxClientsPerAddress: 20,
      maxUpload: 2 * MIB,
      logger: (event) => events.push(event),
    });
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await server?.close(1000);
  });

  test('an MPTCP listener on 127.0.0.1, greeting and anonymous login', async () => {
    expect(server.socket).toBe('mptcp');
    expect(server.address).toBe('127.0.0.1');
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
    expect(before.control.subflows.list[0]).toMatchObject({ local: `127.0.0.1:${server.port}` });
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

  describe('hostile input: refused or cut off, the server keeps serving others', () => {
    let bystander: RawClient;
    beforeAll(async () => {
      bystander = await login();
    });
    const bystanderStillServed = async () => {
      // Idle sessions end after 3 s in this suite; on a busy machine the gap between two of these
      // checks can be that long. A new session is then the bystander: the server must serve it.
      if (bystander.closed || bystander.unread.startsWith('421')) bystander = await login();
      expectCode(await bystander.command('NOOP'), 200);
      const file = await bystander.download('/probe/1M');
      expect(file.sha256).toBe(await computeDigest(MIB));
    };

    test('an overlong line: 500 and disconnect', async () => {
      const client = await connect();
      await client.reply();
      client.write(`USER ${'A'.repeat(5000)}\r\n`);
      expect((await client.reply()).code).toBe(500);
      expect(await client.closedWithin(3000)).toBe(true);
      await bystanderStillServed();
    });

    test('an overlong line without a newline: cut off as soon as it passes the limit', async () => {
      const client = await connect();
      await client.reply();
      client.write(Buffer.alloc(64 * 1024, 0x41));
      expect(await client.closedWithin(3000)).toBe(true);
    });

    test('binary garbage: 500 per line, then 421 and disconnect', async () => {
      const client = await connect();
      await client.reply();
      const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x1b, 0x5b, 0x0a, 0xc3, 0x28, 0x0a, 0x01, 0x02, 0x0a, 0x00, 0x0a]);
      client.write(garbage);
      expect(await client.closedWithin(3000)).toBe(true);
      expect(client.unread).toContain('421 Too much garbage');
      await bystanderStillServed();
    });

    test('random binary streams never crash the server', async () => {
      for (let i = 0; i < 20; i += 1) {
        const client = await connect();
        client.write(Buffer.from(Array.from({ length: 3000 }, () => Math.floor(Math.random() * 256))));
        expect(await client.closedWithin(5000)).toBe(true);
      }
      await bystanderStillServed();
    });

    test('pipelined commands are answered in order', async () => {
      const client = await connect();
      await client.reply();
      client.write('USER anonymous\r\nPASS x\r\nCWD /probe\r\nPWD\r\nSIZE 1M\r\nNOOP\r\n');
      const replies = [];
      for (let i = 0; i < 6; i += 1) replies.push((await client.reply()).code);
      expect(replies).toEqual([331, 230, 250, 257, 213, 200]);
    });

    test('a flood of pipelined commands is bounded (read-ahead paused) and still answered', async () => {
      const client = await login();
      client.write('NOOP\r\n'.repeat(2000));
      for (let i = 0; i < 2000; i += 1) expect((await client.reply()).code).toBe(200);
    });

    test('a client that pipelines commands and never reads replies is not buffered without bound', async () => {
      const client = await login();
      client.socket.pause(); // never read
      const helps = () => events.filter((e) => e.event === 'command' && e.command === 'HELP').length;
      const before = helps();
      // 100k HELP commands (600 KB) ask for ~40 MB of replies. The kernel's socket buffers absorb some
      // megabytes; beyond that the server must stop executing (and reading) until replies are read.
      client.write('HELP\r\n'.repeat(100_000));
      let executed = 0;
      for (let i = 0; i < 50; i += 1) {
        // Not a wait for an event: the count must stop growing, which only a window of time can show.
        await new Promise((r) => setTimeout(r, 100));
        const now = helps() - before;
        if (now === executed && now > 0) break;
        executed = now;
      }
      expect(executed).toBeGreaterThan(0);
      expect(executed).toBeLessThan(60_000);
      client.close();
      await bystanderStillServed();
    });

    test('too many unknown commands in a row: 421', async () => {
      const client = await login();
      expect((await client.command('BOGUS1')).code).toBe(500); // not even a verb
      for (let i = 0; i < 8; i += 1) expect((await client.command(`ZZZ${String.fromCharCode(65 + i)}`)).code).toBe(502);
      expect((await client.command('ZZZZ')).code).toBe(502);
      expect(await client.closedWithin(3000)).toBe(true);
      expect(client.unread).toContain('421 Too many errors');
    });

    test('path traversal names nothing outside the synthetic tree', async () => {
      const client = await login();
      for (const path of ['../../etc/passwd', '/../../../etc/passwd', '/probe/../../etc/shadow', '..\\..\\etc\\passwd', '/proc/self/environ']) {
        expect((await client.command(`SIZE ${path}`)).code).toBe(550);
        expect((await client.command(`RETR ${path}`)).code).toBe(550);
      }
      expectCode(await client.command('CWD ../../..'), 250);
      expect((await client.command('PWD')).text).toMatch(/^"\/"/);
      expect((await client.command('CWD /etc')).code).toBe(550);
    });

    test('slowloris: a line that never ends is cut off after the line timeout', async () => {
      const client = await connect();
      await client.reply();
      const started = Date.now();
      const drip = setInterval(() => !client.closed && client.write('N'), 200);
      const closed = await client.closedWithin(6000);
      clearInterval(drip);
      expect(closed).toBe(true);
      expect(Date.now() - started).toBeLessThan(4000);
      expect(client.unread).toContain('421 Command line not completed in time');
      await bystanderStillServed();
    });

    test('idle clients are disconnected after the idle timeout', async () => {
      const client = await login();
      expect(await client.closedWithin(6000)).toBe(true);
      expect(client.unread).toContain('421 Idle timeout');
    });

    test('a third party cannot take a passive data connection... only the control peer can', async () => {
      // Loopback has one peer address, so we check the log of refusals instead of a second host:
      // a second connection to the same passive port is refused while the first one is in use.
      const client = await login();
      const epsv = expectCode(await client.command('EPSV'), 229);
      const port = Number(/\|(\d+)\|/.exec(epsv.text)![1]);
      const first = net.connect({ port, host: '127.0.0.1' });
      first.on('error', () => undefined);
      // Once our handshake is done the first connection is ahead of the second in the listener's
      // accept queue, so the server takes it first, whenever its accept runs.
      await new Promise((r) => first.once('connect', r));
      const second = net.connect({ port, host: '127.0.0.1' });
      const secondClosed = new Promise((r) => second.on('close', r));
      second.on('error', () => undefined);
      await secondClosed;
      first.destroy();
      expect(events.some((e) => e.event === 'data-refused')).toBe(true);
    });
  });

  test('a plain TCP listener on request (tcp: true): SITE MPTCP names it, MPTCP clients fall back', async () => {
    const tcp = await startServer({ port: 0, tcp: true });
    try {
      expect(tcp.socket).toBe('tcp');
      expect(tcp.tcpReason).toBe('forced');
      const client = await RawClient.login(tcp.port, '127.0.0.1', true);
      const view = parseSiteMptcpReply((await client.command('SITE MPTCP')).text);
      expect(view.listener).toEqual({ socket: 'tcp', reason: 'forced' });
      // A plain TCP listener never looks at MP_CAPABLE: the server cannot know, and says so.
      expect(view.control).toMatchObject({ socket: 'tcp', state: 'tcp', mpCapableReceived: null, listener: 'tcp' });
      client.close();
    } finally {
      await tcp.close(0);
    }
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

  test('per-address connection limit: 421 beyond it', async () => {
    const small = await startServer({ port: 0, maxClientsPerAddress: 2 });
    try {
      const a = await RawClient.connect(small.port);
      const b = await RawClient.connect(small.port);
      const c = await RawClient.connect(small.port);
      expect((await a.reply()).code).toBe(220);
      expect((await b.reply()).code).toBe(220);
      expect((await c.reply()).code).toBe(421);
      [a, b, c].forEach((x) => x.close());
    } finally {
      await small.close(0);
    }
  });

  test('graceful stop: a running transfer finishes within the grace period, new clients refused', async () => {
    const ownEvents: ServerEvent[] = [];
    const own = await startServer({ port: 0, logger: (event) => ownEvents.push(event) });
    const client = await RawClient.login(own.port);
    const downloading = client.download('/probe/100M');
    // Stop once the transfer runs.
    await waitFor('the download to start', () => ownEvents.some((e) => e.event === 'command' && e.command === 'RETR /probe/100M'));
    const closing = own.close(20_000);
    const file = await downloading;
    expect(file.bytes).toBe(100 * MIB);
    expect(file.final.code).toBe(226);
    await closing;
    await expect(RawClient.connect(own.port)).rejects.toThrow();
    client.close();
  });
});

describe('serve options on loopback', () => {
  test('--pasv-ports and --pasv-address shape the PASV/EPSV replies', async () => {
    const server = await startServer({ port: 0, pasvPorts: { first: 40100, last: 40103 }, pasvAddress: '192.0.2.7' });
    try {
      const client = await RawClient.login(server.port);
      for (let i = 0; i < 6; i += 1) {
        const pasv = expectCode(await client.command('PASV'), 227);
        const [h1, h2, h3, h4, p1, p2] = /\((.*)\)/.exec(pasv.text)![1]!.split(',').map(Number);
        expect([h1, h2, h3, h4].join('.')).toBe('192.0.2.7');
        expect(p1! * 256 + p2!).toBeGreaterThanOrEqual(40100);
        expect(p1! * 256 + p2!).toBeLessThanOrEqual(40103);
        const epsv = Number(/\|(\d+)\|/.exec(expectCode(await client.command('EPSV'), 229).text)![1]);
        expect(epsv).toBeGreaterThanOrEqual(40100);
        expect(epsv).toBeLessThanOrEqual(40103);
      }
      client.close();
    } finally {
      await server.close(0);
    }
  });

  test('IPv6: EPSV works, PASV is refused, EPRT |2| to our own address', async () => {
    const server = await startServer({ host: '::1', port: 0 });
    try {
      expect(server.family).toBe(6);
      const client = await RawClient.login(server.port, '::1', true);
      expect((await client.command('PASV')).code).toBe(425);
      expect((await client.command('EPSV 1')).code).toBe(522);
      const file = await client.download('/probe/1M');
      expect(file.sha256).toBe(await computeDigest(MIB));
      const view = parseSiteMptcpReply((await client.command('SITE MPTCP')).text);
      expect(view.control.local).toBe(`[::1]:${server.port}`);
      expect(view.data).toMatchObject({ socket: 'mptcp', state: 'mptcp', mode: 'passive' });
      expect((await client.command('EPRT |2|::1|40000|')).code).toBe(200);
      expect((await client.command('EPRT |2|::2|40000|')).code).toBe(500);
      client.close();
    } finally {
      await server.close(0);
    }
  });

  test('transfer errors: no PASV first (425), no data connection in time (425), a stalled reader (426), APPE', async () => {
    const server = await startServer({ port: 0, dataConnectTimeoutMs: 500, dataTimeoutMs: 800 });
    try {
      const client = await RawClient.login(server.port);
      expect((await client.command('RETR /probe/1M')).code).toBe(425);
      expectCode(await client.command('EPSV'), 229);
      expectCode(await client.command('RETR /probe/1M'), 150);
      expect((await client.reply()).code).toBe(425);
      // A reader that never reads: the server gives up after dataTimeoutMs without progress.
      const epsv = expectCode(await client.command('EPSV'), 229);
      const data = net.connect({ port: Number(/\|(\d+)\|/.exec(epsv.text)![1]), host: '127.0.0.1' });
      data.on('error', () => undefined);
      data.pause();
      expectCode(await client.command('RETR /probe/1G'), 150);
      expect((await client.reply(10_000)).code).toBe(426);
      data.destroy();
      const view = parseSiteMptcpReply((await client.command('SITE MPTCP')).text);
      expect(view.data).toMatchObject({ command: 'RETR', outcome: 'failed' });
      // APPE is STOR here: counted, hashed, discarded.
      const epsv2 = expectCode(await client.command('EPSV'), 229);
      const upload = net.connect({ port: Number(/\|(\d+)\|/.exec(epsv2.text)![1]), host: '127.0.0.1' });
      await new Promise((r) => upload.once('connect', r));
      expectCode(await client.command('APPE /upload/log.txt'), 150);
      upload.end('abc');
      const done = expectCode(await client.reply(), 226);
      expect(done.text).toContain(`received 3 bytes, SHA-256 ${createHash('sha256').update('abc').digest('hex')}`);
      client.close();
    } finally {
      await server.close(0);
    }
  });

  test('global client limit: 421 beyond it', async () => {
    const server = await startServer({ port: 0, maxClients: 3 });
    try {
      const clients = await Promise.all([0, 1, 2, 3].map(() => RawClient.connect(server.port)));
      const codes = await Promise.all(clients.map(async (c) => (await c.reply()).code));
      expect(codes.sort()).toEqual([220, 220, 220, 421]);
      clients.forEach((c) => c.close());
    } finally {
      await server.close(0);
    }
  });
});
