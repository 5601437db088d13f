// Digest (.sha256) jobs. Before: one serial queue for every client, no size limit, a job ran on
// after its client left, RETR hashed before checking for a data connection, and ABOR/QUIT waited
// behind the job. A client asking for /probe/4G.sha256 ... 8G.sha256 and leaving made a 5M digest
// take 15.7 s for everyone else.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DigestCancelled, DigestService, DigestTooLarge, computeDigest } from '../../src/server/digest-cache.js';
import { BLOCK_SIZE } from '../../src/protocol/probe-stream.js';
import { startServer, type ProbeServer, type ServerEvent } from '../../src/server/index.js';
import { waitFor } from '../support/wait-for.js';
import { expectCode, RawClient } from './support/raw-client.js';

const MIB = 1 << 20;
const GIB = 1 << 30;

describe('DigestService (worker thread)', () => {
  let service: DigestService;
  beforeAll(() => {
    service = new DigestService({ maxSize: 4 * GIB, maxEntries: 4 });
  });
  afterAll(async () => {
    await service.close();
  });

  test('equals hashing the probe bytes, for sizes around block edges', async () => {
    for (const size of [0, 1, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 5, 3 * BLOCK_SIZE + 17]) {
      expect(await service.digest(size)).toBe(await computeDigest(size));
    }
  });

  test('a larger digest continues from the hash state kept at 256 MiB, and is still right', async () => {
    expect(await service.digest(300 * MIB)).toBe(await computeDigest(300 * MIB));
    const started = performance.now();
    const continued = await service.digest(256 * MIB + 3);
    const ms = performance.now() - started;
    expect(continued).toBe(await computeDigest(256 * MIB + 3));
    // From the 256 MiB checkpoint: 3 bytes to hash, not 256 MiB (about 160 ms here).
    expect(ms).toBeLessThan(100);
  });

  test('concurrent requests for one size share one job; finished digests are cached', async () => {
    const before = service.startedJobs;
    const [a, b] = await Promise.all([service.digest(7 * MIB + 1), service.digest(7 * MIB + 1)]);
    expect(a).toBe(b);
    expect(service.startedJobs).toBe(before + 1);
    await service.digest(7 * MIB + 1);
    expect(service.startedJobs).toBe(before + 1);
  });

  test('no head-of-line blocking: a small digest finishes while a large one runs', async () => {
    const large = new AbortController();
    const running = service.digest(4 * GIB - 1, large.signal).catch((error: Error) => error);
    await waitFor('the large job to start', () => service.activeJobs === 1);
    const started = performance.now();
    expect(await service.digest(5 * MIB)).toBe(await computeDigest(5 * MIB));
    // Least hashed first: the new small job takes the next two 4 MiB slices.
    expect(performance.now() - started).toBeLessThan(1000);
    large.abort();
    expect(await running).toBeInstanceOf(DigestCancelled);
  });

  test('large jobs share the worker: two started together progress together', async () => {
    const a = new AbortController();
    const b = new AbortController();
    const started = performance.now();
    const first = service.digest(1 * GIB + 11, a.signal).then(() => performance.now() - started);
    const second = service.digest(1 * GIB + 13, b.signal).then(() => performance.now() - started);
    const [msFirst, msSecond] = await Promise.all([first, second]);
    // Each waits for the other's slices: neither finishes in the time of one alone before the other starts.
    expect(Math.abs(msFirst - msSecond)).toBeLessThan(0.5 * Math.max(msFirst, msSecond));
  });

  test('a job is cancelled when every caller has gone, not before', async () => {
    const first = new AbortController();
    const second = new AbortController();
    const a = service.digest(3 * GIB + 7, first.signal).catch((error: Error) => error);
    const b = service.digest(3 * GIB + 7, second.signal).catch((error: Error) => error);
    expect(service.activeJobs).toBe(1);
    first.abort();
    expect(await a).toBeInstanceOf(DigestCancelled);
    expect(service.activeJobs).toBe(1);
    second.abort();
    expect(await b).toBeInstanceOf(DigestCancelled);
    expect(service.activeJobs).toBe(0);
  });

  test('sizes above the cap are refused before any work', async () => {
    const before = service.startedJobs;
    await expect(service.digest(4 * GIB + 1)).rejects.toBeInstanceOf(DigestTooLarge);
    expect(service.startedJobs).toBe(before);
  });
});

describe('digest requests on the server', () => {
  let server: ProbeServer;
  const events: ServerEvent[] = [];
  /** The server has logged the command: its handler has run up to the digest job it starts. */
  const digestStarted = (command: string) =>
    waitFor(`${command} to start`, () => events.some((e) => e.event === 'command' && e.command === command));
  beforeAll(async () => {
    server = await startServer({ port: 0, maxDigestSize: 4 * GIB, logger: (event) => events.push(event) });
  });
  afterAll(async () => {
    await server?.close(0);
  });

  test('RETR of a .sha256 without a data connection: 425 at once, no digest computed', async () => {
    const client = await RawClient.login(server.port);
    const started = performance.now();
    expect((await client.command('RETR /probe/4G.sha256')).code).toBe(425);
    // Before: the 4 GiB digest first (about 2.6 s here), then 425.
    expect(performance.now() - started).toBeLessThan(500);
    client.close();
  });

  test('above the cap: 550 naming the cap and the option, at once', async () => {
    const client = await RawClient.login(server.port);
    expectCode(await client.command('EPSV'), 229);
    const refused = await client.command('RETR /probe/8G.sha256');
    expect(refused).toEqual({ code: 550, text: 'No digest for 8G: digests are computed up to 4G (serve --max-digest-size)' });
    // The file itself is still there.
    expect((await client.command('SIZE /probe/8G')).code).toBe(213);
    client.close();
  });

  test('ABOR while a digest is computed: 426 and 226 at once, the job cancelled', async () => {
    const client = await RawClient.login(server.port);
    expectCode(await client.command('EPSV'), 229);
    client.write('RETR /probe/4G.sha256\r\n');
    await digestStarted('RETR /probe/4G.sha256');
    const started = performance.now();
    client.write('ABOR\r\n');
    expect((await client.reply()).code).toBe(426);
    expect((await client.reply()).code).toBe(226);
    expect(performance.now() - started).toBeLessThan(1000);
    expectCode(await client.command('NOOP'), 200);
    expect(events).toContainEqual(expect.objectContaining({ event: 'digest-cancelled', size: 4 * GIB, reason: 'abor' }));
    client.close();
  });

  test('QUIT while a digest is computed: 221 at once, the job cancelled', async () => {
    const client = await RawClient.login(server.port);
    expectCode(await client.command('EPSV'), 229);
    client.write('RETR /probe/3G.sha256\r\n');
    await digestStarted('RETR /probe/3G.sha256');
    const started = performance.now();
    client.write('QUIT\r\n');
    const replies = [await client.reply(), await client.reply()];
    expect(replies.map((r) => r.code)).toEqual([426, 221]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(events).toContainEqual(expect.objectContaining({ event: 'digest-cancelled', size: 3 * GIB, reason: 'shutdown' }));
  });

  test('a client that leaves while its digest is computed: the job is cancelled', async () => {
    const client = await RawClient.login(server.port);
    expectCode(await client.command('EPSV'), 229);
    client.write('RETR /probe/2G.sha256\r\n');
    await digestStarted('RETR /probe/2G.sha256');
    client.close();
    await waitFor('the 2G job to be cancelled', () => events.some((e) => e.event === 'digest-cancelled' && e.size === 2 * GIB), { timeoutMs: 2000 });
    expect(events).toContainEqual(expect.objectContaining({ event: 'digest-cancelled', size: 2 * GIB, reason: 'shutdown' }));
  });
});
