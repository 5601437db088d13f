// Hostile input to the probe server in-process on 127.0.0.1: overlong lines, garbage, floods,
// slowloris, idle clients, a third party on a passive port; each refused or cut off while
// another client keeps being served.
import net from 'node:net';
import { beforeAll, describe, expect, test } from 'vitest';
import { computeDigest } from '../../src/server/index.js';
import { useLoopbackServe } from './support/loopback-serve.js';
import { expectCode, RawClient } from './support/raw-client.js';

const MIB = 1 << 20;

describe('hostile input: refused or cut off, the server keeps serving others', () => {
  const { events, login, connect } = useLoopbackServe({ lineTimeoutMs: 1500, idleTimeoutMs: 3000, maxClientsPerAddress: 20 });
  let bystander: RawClient;
  beforeAll(async () => {
    bystander = await login();
  });
  const bystanderStillServed = async () => {
    // Idle sessions end after 3 s in this suite; on a busy machine the gap between two of these
    // checks can be that long, and the idle timeout's 421 may even be what answers our NOOP.
    // Only then is a new session the bystander, and the server must serve it.
    const idledOut = (text: string) => /^421 Idle timeout/m.test(text);
    let reply = bystander.closed ? undefined : await bystander.command('NOOP').catch(() => undefined);
    if (!reply || (reply.code === 421 && idledOut(reply.text))) {
      if (!reply && !idledOut(bystander.unread)) throw new Error(`the bystander was cut off: ${JSON.stringify(bystander.unread.slice(0, 200))}`);
      bystander = await login();
      reply = await bystander.command('NOOP');
    }
    expectCode(reply, 200);
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
