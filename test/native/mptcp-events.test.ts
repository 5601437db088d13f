// The event subscription against the real kernel, in a namespace of its own: every event of a burst
// arrives when the buffer can hold them, and an overflow is counted (ENOBUFS), never silent.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { createNetns, type Netns } from '../support/netns.js';

const skip = missingRequirement('mptcp events', 'root', 'netns', 'tool:python3');
const script = path.join(packageRoot, 'test', 'native', 'fixtures', 'event-burst.ts');

describe.skipIf(skip)('mptcp_pm events, real kernel', () => {
  let ns: Netns;
  beforeAll(async () => { ns = await createNetns('events'); });
  afterAll(async () => { await ns?.destroy(); });

  const burst = async (count: number, receiveBuffer: number) => {
    const r = await ns.exec([process.execPath, '--import', 'tsx', script, String(count), String(receiveBuffer)], { timeoutMs: 60_000 });
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { events: number; overflows: number; lossRecords: number; byType: Record<string, number> };
  };

  it('delivers every event of 200 connections opened and closed while the reader was busy', async () => {
    const r = await burst(200, 8 << 20);
    expect(r.overflows).toBe(0);
    expect(r.byType).toEqual({ listener_created: 1, created: 400, established: 400, closed: 400, listener_closed: 1 });
  });

  it('counts an overflow of a small receive buffer as lost events, and keeps reading after it', async () => {
    const r = await burst(200, 4096);
    expect(r.overflows).toBeGreaterThan(0);
    expect(r.lossRecords).toBeGreaterThan(0);
    expect(r.events).toBeGreaterThan(0);
    expect(r.events).toBeLessThan(1202);
  });
});
