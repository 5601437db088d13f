// The data timeout is time without progress. A client reading a steady 40 KB/s was cut off with
// "426 Data connection stalled" because the timeout measured how long a 4 MiB write-ahead buffer
// took to drain (100 s at that rate), not whether bytes moved. Every abort is logged.
//
// Progress is what the sender can see: acknowledgements. A slow reader's kernel announces freed
// window space in steps (MPTCP on loopback: about 90 KB, every 2-4 s at 40 KB/s), so the timeout
// here is longer than that step and the reader reads for more than three timeouts.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type ProbeServer, type ServerEvent } from '../../src/server/index.js';
import { expectCode, openSocket, RawClient } from './support/raw-client.js';

/** A data timeout short enough to pass several times while the reader reads. */
const DATA_TIMEOUT_MS = 5000;
const READ_FOR_MS = 16_000;

/**
 * Reads `socket` at a steady `bytesPerSecond` (a slice every 100 ms) for `ms`; returns the byte count.
 * The socket stays paused in between: the kernel's buffers fill and the sender sees a slow reader.
 */
async function readSteadily(socket: net.Socket, bytesPerSecond: number, ms: number): Promise<number> {
  socket.pause();
  const slice = Math.round(bytesPerSecond / 10);
  let bytes = 0;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !socket.destroyed) {
    // Not a synchronisation: the pace of the slow reader under test.
    await new Promise((r) => setTimeout(r, 100));
    let want = slice;
    while (want > 0) {
      const chunk = socket.read(Math.min(want, socket.readableLength)) as Buffer | null;
      if (!chunk || chunk.length === 0) break;
      bytes += chunk.length;
      want -= chunk.length;
    }
  }
  return bytes;
}

describe('data timeout: time without progress, never the time a slow reader takes', () => {
  let server: ProbeServer;
  const events: ServerEvent[] = [];
  beforeAll(async () => {
    server = await startServer({ port: 0, dataTimeoutMs: DATA_TIMEOUT_MS, logger: (event) => events.push(event) });
  });
  afterAll(async () => {
    await server?.close(0);
  });

  test.concurrent.each([
    ['plain TCP', false],
    ['MPTCP', true],
  ])('%s: a reader at 40 KB/s for more than three data timeouts is never cut off; its ABOR is logged', async (_name, mptcp) => {
    const client = await RawClient.login(server.port, '127.0.0.1', mptcp);
    const epsv = expectCode(await client.command('EPSV'), 229);
    const data = await openSocket(Number(/\|(\d+)\|/.exec(epsv.text)![1]), '127.0.0.1', mptcp);
    data.pause();
    expectCode(await client.command('RETR /probe/1G'), 150);
    const bytes = await readSteadily(data, 40_000, READ_FOR_MS);
    // Before the fix: "426 Data connection stalled" after about one data timeout.
    expect(client.unread).toBe('');
    expect(data.destroyed).toBe(false);
    // A steady 40 KB/s all along: the reader never ran dry, the server kept sending.
    const steady = (40_000 * READ_FOR_MS) / 1000;
    expect(bytes).toBeGreaterThan(0.6 * steady);
    expect(bytes).toBeLessThanOrEqual(steady);
    client.write('ABOR\r\n');
    expect((await client.reply()).code).toBe(426);
    expect((await client.reply()).code).toBe(226);
    data.destroy();
    const aborts = events.filter((e) => e.event === 'transfer-aborted');
    expect(aborts.some((e) => e.reason === 'timeout')).toBe(false);
    expect(aborts).toContainEqual(expect.objectContaining({ level: 'warn', command: 'RETR', reason: 'abor', reply: 426 }));
    client.close();
  }, 40_000);

  test('a reader that stops reading is aborted after the data timeout, and the abort is logged with its reason', async () => {
    const client = await RawClient.login(server.port);
    const epsv = expectCode(await client.command('EPSV'), 229);
    const data = await openSocket(Number(/\|(\d+)\|/.exec(epsv.text)![1]), '127.0.0.1', false);
    data.pause();
    const started = Date.now();
    expectCode(await client.command('RETR /probe/1G'), 150);
    const stalled = await client.reply(DATA_TIMEOUT_MS + 10_000);
    const elapsed = Date.now() - started;
    expect(stalled.code).toBe(426);
    expect(stalled.text).toMatch(/^Data connection stalled: no byte moved for \d+ s; transfer aborted$/);
    // The kernel's buffers fill in well under a second; then nothing moves for the timeout.
    expect(elapsed).toBeGreaterThanOrEqual(DATA_TIMEOUT_MS);
    expect(elapsed).toBeLessThan(DATA_TIMEOUT_MS + 5000);
    expect(events).toContainEqual(expect.objectContaining({ event: 'transfer-aborted', level: 'warn', command: 'RETR', reason: 'timeout', reply: 426 }));
    data.destroy();
    client.close();
  }, 30_000);
});
