// Load: while clients keep asking for large digests (/probe/4G.sha256, 3G, ...) and leave, another
// client's 1M download and 5M digest still finish in well under a second, and once they have all
// left the server stops hashing. `mptcp-doctor serve` runs as its own process, as it is deployed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { computeDigest } from '../../src/server/index.js';
import { packageRoot } from '../support/dist.js';
import { waitFor } from '../support/wait-for.js';
import { freePort } from './support/free-port.js';
import { expectCode, RawClient } from './support/raw-client.js';

const MIB = 1 << 20;
const main = join(packageRoot, 'src', 'cli', 'main.ts');
/** Digests the leaving clients ask for: all within the default 4G cap, each its own job. */
const LARGE = ['4G', '3G', '2G', '3584M', '2560M', '4095M', '3000M'];

/** CPU seconds (user + system, all threads) the process has used. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the "pid (comm) " prefix.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Logs in, prepares a data connection, asks for a large digest and leaves after `stayMs` without it. */
async function askAndLeave(port: number, name: string, stayMs: number): Promise<void> {
  const client = await RawClient.login(port);
  expectCode(await client.command('EPSV'), 229);
  client.write(`RETR /probe/${name}.sha256\r\n`);
  // Not a synchronisation: staying a while and leaving without the digest is the load under test.
  await new Promise((r) => setTimeout(r, stayMs));
  client.close();
}

/** Clients asking for every LARGE digest, again and again, each staying 600 ms, until `stop` aborts. */
async function keepAskingAndLeaving(port: number, stop: AbortSignal): Promise<number> {
  let asked = 0;
  while (!stop.aborted) {
    await Promise.all(LARGE.map((name) => askAndLeave(port, name, 600)));
    asked += LARGE.length;
  }
  return asked;
}


async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

describe('digests under load', () => {
  let child: ResultPromise;
  let port = 0;
  let stderr = '';
  beforeAll(async () => {
    child = execa('node', ['--import', 'tsx', main, 'serve', '--listen', `127.0.0.1:${await freePort()}`, '--json', '--json-log'], {
      reject: false, timeout: 180_000, cwd: packageRoot, env: { NO_COLOR: '1' },
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out} ${stderr}`)), 30_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /"port":\s*(\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
  });
  afterAll(async () => {
    child?.kill('SIGTERM');
    await child;
  });

  test('clients asking for 4G digests and leaving do not slow down another client; their jobs stop', async () => {
    const expected1M = await computeDigest(MIB);
    const expected5M = await computeDigest(5 * MIB);
    const other = await RawClient.login(port);
    const downloads: number[] = [];
    const digests: number[] = [];
    const stop = new AbortController();
    // Settled either way: a failing round must not leave the load running into the server's stop.
    const load = keepAskingAndLeaving(port, stop.signal).catch((error: Error) => error);
    try {
      // The first clients have their jobs going once serve has logged each of their RETRs.
      await waitFor('the first digest requests', () => new Set(stderr.match(/RETR \/probe\/[0-9A-Z]+\.sha256/g)).size >= LARGE.length, { timeoutMs: 30_000 });
      for (let round = 0; round < 6; round += 1) {
        const download = await timed(() => other.download('/probe/1M'));
        expect(download.value).toMatchObject({ bytes: MIB, sha256: expected1M, final: { code: 226 } });
        downloads.push(download.ms);
        // A digest nobody computed yet (a fresh size each round): it must not queue behind the 4G jobs.
        const digest = await timed(() => other.download(`/probe/${5 * 1024 + round}K.sha256`));
        expect(digest.value.final.code).toBe(226);
        digests.push(digest.ms);
        // Not a synchronisation: spaces the rounds out over the load, so they sample more of it.
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      stop.abort();
    }
    const asked = await load;
    if (asked instanceof Error) throw asked;
    console.log(`1M downloads under digest load: ${downloads.map((ms) => ms.toFixed(0)).join(', ')} ms; fresh 5M digests: ${digests.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    for (const ms of downloads) expect(ms).toBeLessThan(1000);
    for (const ms of digests) expect(ms).toBeLessThan(1000);
    expect((await other.download('/probe/5M')).sha256).toBe(expected5M);
    other.close();
    // Every client that left had its job cancelled (one log line each): the server stops hashing.
    const cancelledJobs = () => stderr.split('\n').filter((line) => line.includes('"digest-cancelled"'));
    await waitFor('every job of a client that left to be cancelled', () => cancelledJobs().length >= asked, { timeoutMs: 10_000 });
    const before = cpuSeconds(child.pid!);
    // Not a synchronisation: the window in which serve's CPU use is measured.
    await new Promise((r) => setTimeout(r, 1500));
    const used = cpuSeconds(child.pid!) - before;
    console.log(`serve CPU in 1.5 s after the clients left: ${used.toFixed(2)} s`);
    expect(used).toBeLessThan(0.3);
    // Each leaving client's job was cancelled, none computed to its end.
    const cancelled = cancelledJobs();
    console.log(`${asked} clients asked for a 2-4 GiB digest and left; ${cancelled.length} jobs cancelled`);
    expect(cancelled.length).toBe(asked);
  }, 120_000);
});
