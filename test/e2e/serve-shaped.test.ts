// `mptcp-doctor serve` on slow paths (tbf at 200 kbit/s on each of three client links through the
// router; MPTCP clients open subflows on all three, plain TCP uses its own): 1 MiB arrives complete
// at MPTCP clients (our `get`, and curl under mptcpize) and at a plain TCP curl, although each
// transfer takes several data timeouts; then a steady slow reader (a script reading 40 KB/s over
// MPTCP) on an unshaped path is never cut off either.
//
// Before: the data timeout measured how long the write-ahead buffer took to drain, so these
// transfers got "426 Data connection stalled" (get: exit 4 holding 556,938 bytes). With a longer
// timeout, serve destroyed the data socket 5 s after its last write and left the tail to the
// kernel; an orphaned MPTCP connection gets net.mptcp.close_timeout to deliver it before it is
// reset. That timeout is 5 s (not 60) in this lab's server namespace: a server relying on orphan
// delivery gets little of it, one that waits for the acknowledgements needs none.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { computeDigest } from '../../src/server/index.js';
import { useLab } from '../lab/vitest.js';
import { missingRequirement } from '../support/gate.js';

const skip = missingRequirement('serve on shaped paths', 'root', 'netns', 'tool:mptcpize', 'tool:curl', 'tool:tc', 'tool:python3');
const cliSource = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const slowReader = join(import.meta.dirname, '..', 'server', 'fixtures', 'slow-reader.py');
const MIB = 1 << 20;
// Above a TCP retransmission backoff on these narrow shared paths (the plain-TCP curl shares its
// link with MPTCP subflows; a run of losses there backs its timer off past 10 s): the data timeout is
// about a reader that stopped, not a path that is slow.
const DATA_TIMEOUT_S = 20;
const RATE_MBIT = 0.2;

async function sha256Of(path: string): Promise<{ bytes: number; sha256: string }> {
  const content = await readFile(path);
  return { bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') };
}

describe.skipIf(skip)('serve on 200 kbit/s paths', () => {
  const lab = useLab({
    topology: 'routed',
    links: 3,
    ipv6: false,
    sysctls: { server: { 'net.mptcp.close_timeout': 5 } },
  });

  test('1 MiB arrives complete over MPTCP (get, mptcpize curl) and TCP (curl); a 40 KB/s reader is never cut off', async () => {
    const server = lab().addresses.server.v4;
    const port = 2121;
    const serve = lab().spawnNode('server', [cliSource, 'serve', '--listen', `${server}:${port}`, '--json-log', '--data-timeout', String(DATA_TIMEOUT_S)]);
    try {
      await serve.waitForOutput(/serving ftp:/, 30_000);
      for (const link of [1, 2, 3]) await lab().shape(link, { rateMbit: RATE_MBIT, direction: 'down' });
      const url = `ftp://${server}:${port}/probe/1M`;
      const file = (name: string) => join(lab().tmpDir, name);
      const clients = {
        // Link 1 is the client's default route; MPTCP adds subflows on links 2 and 3.
        get: lab().runNode('client', [cliSource, 'get', url, file('get.bin'), '--timeout', '60', '--idle-timeout', '60'], { timeoutMs: 150_000 }),
        mptcpCurl: lab().exec('client', ['mptcpize', 'run', 'curl', '-sS', '--interface', lab().addresses.client[1]!.v4, '-o', file('mptcp-curl.bin'), url], { timeoutMs: 150_000 }),
        tcpCurl: lab().exec('client', ['curl', '-sS', '--interface', lab().addresses.client[2]!.v4, '-o', file('tcp-curl.bin'), url], { timeoutMs: 150_000 }),
      };
      const started = Date.now();
      const [get, mptcpCurl, tcpCurl] = await Promise.all([clients.get, clients.mptcpCurl, clients.tcpCurl]);
      const seconds = (Date.now() - started) / 1000;
      const expected = { bytes: MIB, sha256: await computeDigest(MIB) };
      console.log(`1 MiB each at ${RATE_MBIT * 1000} kbit/s per link, three clients, three links: all done in ${seconds.toFixed(1)} s (get ${(get.durationMs / 1000).toFixed(1)} s, mptcpize curl ${(mptcpCurl.durationMs / 1000).toFixed(1)} s, curl ${(tcpCurl.durationMs / 1000).toFixed(1)} s)`);
      expect(get, get.stderr).toMatchObject({ exitCode: 0 });
      expect(mptcpCurl, mptcpCurl.stderr).toMatchObject({ exitCode: 0 });
      expect(tcpCurl, tcpCurl.stderr).toMatchObject({ exitCode: 0 });
      expect(await sha256Of(file('get.bin'))).toEqual(expected);
      expect(await sha256Of(file('mptcp-curl.bin'))).toEqual(expected);
      expect(await sha256Of(file('tcp-curl.bin'))).toEqual(expected);
      // Each took longer than a data timeout without being taken for stalled.
      expect(Math.min(get.durationMs, mptcpCurl.durationMs, tcpCurl.durationMs)).toBeGreaterThan(DATA_TIMEOUT_S * 1000);

      // A steady slow reader on an unshaped path: 1 MiB at 40 KB/s is 26 s, more than a data timeout.
      await lab().unshape(1);
      const slow = await lab().exec('client', ['mptcpize', 'run', 'python3', slowReader, server, String(port), '/probe/1M', '--rate', '40000'], { timeoutMs: 120_000 });
      expect(slow, slow.stderr).toMatchObject({ exitCode: 0 });
      const reader = JSON.parse(slow.stdout) as { bytes: number; sha256: string; seconds: number; reply: string };
      console.log(`a 40 KB/s reader over MPTCP: 1 MiB in ${reader.seconds} s, ${reader.reply}`);
      expect(reader).toMatchObject({ ...expected, reply: expect.stringMatching(/^226 /) });
      expect(reader.seconds).toBeGreaterThan(DATA_TIMEOUT_S);

      const events = serve.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(events.filter((e) => e.event === 'transfer-aborted')).toEqual([]);
      const transfers = events.filter((e) => e.event === 'transfer' && e.command === 'RETR');
      expect(transfers.map((e) => e.bytes)).toEqual([MIB, MIB, MIB, MIB]);
      // The MPTCP ones were MPTCP on the server's side too, the shaped ones on several paths.
      expect(transfers.filter((e) => e.state === 'mptcp')).toHaveLength(3);
      expect(transfers.filter((e) => e.state === 'mptcp' && Number(e.subflows) >= 2).length).toBeGreaterThanOrEqual(2);
    } finally {
      await serve.stop();
    }
  }, 240_000);
});
