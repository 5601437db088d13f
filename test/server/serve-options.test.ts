// serve's listener options and limits, each on its own in-process server on loopback: a plain TCP
// listener, per-address and global client limits, the graceful stop, passive ports and address,
// IPv6, and the data-connection timeouts.
import { createHash } from 'node:crypto';
import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { parseSiteMptcpReply } from '../../src/protocol/site-mptcp.js';
import { computeDigest, startServer, type ServerEvent } from '../../src/server/index.js';
import { waitFor } from '../support/wait-for.js';
import { expectCode, RawClient } from './support/raw-client.js';

const MIB = 1 << 20;

describe('serve options on loopback', () => {
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
