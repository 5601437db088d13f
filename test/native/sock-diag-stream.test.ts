// sock_diag dumps read piece by piece through the addon's NetlinkDump, against the real kernel in a
// namespace of its own: the pieces hold every socket of the whole reply, the model built from them
// is the model of the whole replies, and misuse fails with a clear error.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { createNetns, type Netns } from '../support/netns.js';

const skip = missingRequirement('sock_diag stream', 'root', 'netns', 'tool:python3');
const script = path.join(packageRoot, 'test', 'native', 'fixtures', 'dump-stream.ts');

describe.skipIf(skip)('sock_diag dumps in pieces, real kernel', () => {
  let ns: Netns;
  beforeAll(async () => { ns = await createNetns('dump'); });
  afterAll(async () => { await ns?.destroy(); });

  it('reads 300 connections in 64 KiB pieces: the same sockets and the same model as the whole replies', async () => {
    const r = await ns.exec([process.execPath, '--import', 'tsx', script, '300'], { timeoutMs: 60_000 });
    const seen = JSON.parse(r.stdout.trim().split('\n').pop()!);
    // 600 subflows of about 500 bytes each: several pieces, none over its buffer.
    expect(seen.tcpPieces).toBeGreaterThan(3);
    expect(seen.mptcpPieces).toBeGreaterThan(1);
    expect(seen.largestPiece).toBeLessThanOrEqual(64 * 1024);
    expect(seen.piecesWhole).toBe(true);
    expect(seen.mptcpSockets).toBe(601);
    expect(seen.tcpSame).toBe(true);
    expect(seen.mptcpSame).toBe(true);
    expect(seen.modelSame).toBe(true);
    expect(seen.connections).toBe(600);
    expect(seen.subflows).toBe(600);
    expect(seen.refusal).toBe('EINVAL');
    expect(seen.tooSmall).toBe('RangeError');
    expect(seen.second).toBe('EBUSY');
    expect(seen.firstBytes).toBeGreaterThan(0);
    expect(seen.afterClose).toBe('EBADF');
  });
});
