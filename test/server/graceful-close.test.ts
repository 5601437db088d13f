// A download ends when the client's kernel has acknowledged every byte and our FIN, not a fixed
// time after our last write. Before, serve waited up to 5 s for the client to close its data
// connection and then destroyed it: a client that reads the 226 before closing its data connection
// (as RFC 959 allows) waited 5.00 s per transfer, and on a slow MPTCP path the unsent tail was lost
// (that half is shown on a shaped path in test/e2e/serve-shaped.test.ts).
import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectMptcp } from '../../src/net/connect.js';
import { computeDigest, startServer, type ProbeServer, type ServerEvent } from '../../src/server/index.js';
import { expectCode, RawClient } from './support/raw-client.js';

/** A data socket that does not close its side when the server's FIN arrives (allowHalfOpen). */
async function halfOpenDataSocket(port: number, mptcp: boolean): Promise<net.Socket> {
  const socket = mptcp
    ? (await connectMptcp({ host: '127.0.0.1', port, timeoutMs: 5000 })).socket
    : await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(s));
        s.once('error', reject);
      });
  socket.allowHalfOpen = true;
  socket.on('error', () => undefined);
  return socket;
}

interface Download {
  sha256: string;
  bytes: number;
  /** Milliseconds from the end of the data (the server's FIN) to the final reply. */
  eofToReplyMs: number;
  code: number;
  /** The server closed the data connection before we did (it must wait for us). */
  serverClosedFirst: boolean;
}

/** EPSV + `command`; reads to EOF, then waits for the final reply with the data connection still open. */
async function readReplyBeforeClosing(client: RawClient, command: string, mptcp: boolean): Promise<Download> {
  const epsv = expectCode(await client.command('EPSV'), 229);
  const data = await halfOpenDataSocket(Number(/\|(\d+)\|/.exec(epsv.text)![1]), mptcp);
  const hash = createHash('sha256');
  let bytes = 0;
  let serverClosedFirst = false;
  data.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  const eof = new Promise<number>((resolve) => data.once('end', () => resolve(performance.now())));
  data.once('close', () => (serverClosedFirst = true));
  expectCode(await client.command(command), 150);
  const eofAt = await eof;
  const final = await client.reply(15_000);
  const eofToReplyMs = performance.now() - eofAt;
  // Not a synchronisation: a window in which a server that would close on its own gets to do it
  // (what the test looks for), then we close our side.
  await new Promise((r) => setTimeout(r, 100));
  const closedBeforeUs = serverClosedFirst;
  data.end();
  await new Promise((r) => data.once('close', r));
  return { sha256: hash.digest('hex'), bytes, eofToReplyMs, code: final.code, serverClosedFirst: closedBeforeUs };
}

describe('graceful close of download data connections', () => {
  let server: ProbeServer;
  const events: ServerEvent[] = [];
  beforeAll(async () => {
    server = await startServer({ port: 0, logger: (event) => events.push(event) });
  });
  afterAll(async () => {
    await server?.close(0);
  });

  test.each([
    ['plain TCP', false],
    ['MPTCP', true],
  ])('%s: a client that reads the 226 before closing its data connection gets it at once, 3 transfers in a row', async (_name, mptcp) => {
    const client = await RawClient.login(server.port, '127.0.0.1', mptcp);
    const expected = await computeDigest(1 << 20);
    for (let i = 0; i < 3; i += 1) {
      const download = await readReplyBeforeClosing(client, 'RETR /probe/1M', mptcp);
      expect(download).toMatchObject({ code: 226, bytes: 1 << 20, sha256: expected, serverClosedFirst: false });
      // Before: 5000 ms each (the server waited for our close, then destroyed the socket).
      console.log(`${_name} EOF -> 226: ${download.eofToReplyMs.toFixed(1)} ms`);
      expect(download.eofToReplyMs).toBeLessThan(1000);
    }
    const listing = await readReplyBeforeClosing(client, 'NLST /probe', mptcp);
    expect(listing.code).toBe(226);
    expect(listing.eofToReplyMs).toBeLessThan(1000);
    const empty = await readReplyBeforeClosing(client, 'RETR /probe/0', mptcp);
    expect(empty).toMatchObject({ code: 226, bytes: 0 });
    expect(empty.eofToReplyMs).toBeLessThan(1000);
    client.close();
  });

  test('clients that close first (curl-like) are not delayed either, and nothing was aborted', async () => {
    const client = await RawClient.login(server.port, '127.0.0.1', true);
    const started = performance.now();
    for (let i = 0; i < 5; i += 1) expect((await client.download('/probe/1M')).final.code).toBe(226);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(events.filter((e) => e.event === 'transfer-aborted')).toEqual([]);
    client.close();
  });
});
