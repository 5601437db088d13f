// Self-tests of the lab's topologies: each path carries traffic from its own address, MPTCP uses
// both, IPv6 works without DAD delays, and links come back after going down.
import { describe, expect, it } from 'vitest';
import { missingRequirement } from '../support/gate.js';
import { useLab } from './vitest.js';
import type { Lab } from './lab.js';
import { send, startSink } from './helpers.js';

const skip = missingRequirement('lab topology', 'root', 'netns', 'tool:ip', 'tool:ping', 'tool:tc');

async function txBytes(lab: Lab, ifname: string): Promise<number> {
  const r = await lab.exec('client', ['cat', `/sys/class/net/${ifname}/statistics/tx_bytes`], { check: true });
  return Number(r.stdout.trim());
}

describe.skipIf(skip)('lab: routed topology with two client links', () => {
  const lab = useLab({ topology: 'routed', links: 2 });

  it('exposes the address plan as plain data', () => {
    expect(lab().addresses.client.map((a) => a.v4)).toEqual(['10.1.1.1', '10.1.2.1']);
    expect(lab().addresses.server.v4).toBe('10.1.100.2');
    expect(lab().addresses.router?.client[1]?.v6).toBe('fd00:1:2::2');
    expect(lab().links.map((l) => l.table)).toEqual([101, 102]);
  });

  it('carries traffic on each path from that path\'s own source address', async () => {
    const sink = await startSink(lab(), 5001, ['--tcp']);
    for (const link of lab().links) {
      const other = lab().links.find((l) => l.index !== link.index)!;
      const [mineBefore, otherBefore] = [await txBytes(lab(), link.clientIf), await txBytes(lab(), other.clientIf)];
      const result = await send(lab(), ['--host', lab().addresses.server.v4, '--port', '5001', '--tcp', '--local', link.client.v4, '--bytes', '200000']);
      expect(result.answer).toBe('ok 200000');
      const mine = (await txBytes(lab(), link.clientIf)) - mineBefore;
      const others = (await txBytes(lab(), other.clientIf)) - otherBefore;
      expect(mine).toBeGreaterThan(200_000);
      expect(others).toBeLessThan(10_000);
      await sink.waitForOutput(`"remote":"::ffff:${link.client.v4}"`, 5000);
    }
    await sink.stop();
  });

  it('carries IPv6 traffic on the second path at once (no DAD, no 1 s first-SYN penalty)', async () => {
    const sink = await startSink(lab(), 5002, ['--tcp']);
    const started = Date.now();
    const result = await send(lab(), ['--host', lab().addresses.server.v6!, '--port', '5002', '--tcp', '--local', lab().links[1]!.client.v6!, '--bytes', '1000']);
    expect(result.answer).toBe('ok 1000');
    expect(Date.now() - started).toBeLessThan(900 + 2000); // node start-up dominates; a SYN retransmit would add 1 s
    await sink.waitForOutput(`"remote":"${lab().links[1]!.client.v6}"`, 5000);
    await sink.stop();
  });

  it('an MPTCP connection across it reports 2 subflows, and MP_JOIN shows in the counters', async () => {
    const sink = await startSink(lab(), 5003);
    const { result, deltas } = await lab().countersAround(['client', 'server'], () =>
      send(lab(), ['--host', lab().addresses.server.v4, '--port', '5003', '--bytes', '1000000', '--subflows', '2']));
    expect(result.error).toBeUndefined();
    expect(result.report?.socket).toBe('mptcp');
    expect(result.report?.state).toBe('mptcp');
    expect(result.report?.subflows.total).toBe(2);
    expect(deltas.client?.MPJoinSynTx ?? 0).toBeGreaterThanOrEqual(1);
    expect(deltas.server?.MPJoinAckRx ?? 0).toBeGreaterThanOrEqual(1);
    await sink.stop();
  });

  it('a link taken down and up again carries traffic again', async () => {
    const sink = await startSink(lab(), 5004, ['--tcp']);
    const link = lab().link(2);
    await lab().linkDown(2);
    const down = await send(lab(), ['--host', lab().addresses.server.v4, '--port', '5004', '--tcp', '--local', link.client.v4, '--bytes', '1000', '--timeout', '1000']);
    expect(down.error).toBeDefined();
    const routes = await lab().exec('client', ['ip', 'route', 'show', 'table', String(link.table)]);
    expect(routes.stdout.trim()).toBe('');
    await lab().linkUp(2);
    const up = await send(lab(), ['--host', lab().addresses.server.v4, '--port', '5004', '--tcp', '--local', link.client.v4, '--bytes', '1000']);
    expect(up.answer).toBe('ok 1000');
    await sink.stop();
  });
});
