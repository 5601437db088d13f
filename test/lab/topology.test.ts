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
    // The penalty shows as a retransmitted SYN (after 1 s): counted, not timed, so that a busy
    // machine's slow start-up cannot pass for it, nor hide it.
    const before = await lab().counters('client', 'TcpExt');
    const result = await send(lab(), ['--host', lab().addresses.server.v6!, '--port', '5002', '--tcp', '--local', lab().links[1]!.client.v6!, '--bytes', '1000']);
    expect(result.answer).toBe('ok 1000');
    const after = await lab().counters('client', 'TcpExt');
    expect((after.TCPSynRetrans ?? 0) - (before.TCPSynRetrans ?? 0)).toBe(0);
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

describe.skipIf(skip)('lab: other shapes', () => {
  it('a direct pair: one link, server reachable over IPv4 and IPv6, no router', async () => {
    const { createLab } = await import('./lab.js');
    const lab = await createLab({ topology: 'direct' });
    try {
      expect(lab.addresses.router).toBeUndefined();
      expect(() => lab.ns('router')).toThrow(/no router/);
      const v4 = await lab.exec('client', ['ping', '-c', '1', '-W', '1', lab.addresses.server.v4]);
      const v6 = await lab.exec('client', ['ping', '-6', '-c', '1', '-W', '1', lab.addresses.server.v6!]);
      expect([v4.exitCode, v6.exitCode]).toEqual([0, 0]);
    } finally {
      await lab.destroy();
    }
  });

  it('three client links with per-link rules and two subflow endpoints; sysctls land in the namespace only', async () => {
    const { createLab } = await import('./lab.js');
    const started = Date.now();
    const lab = await createLab({ topology: 'routed', links: 3, ipv6: false, sysctls: { client: { 'net.mptcp.checksum_enabled': 1 } } });
    const buildMs = Date.now() - started;
    try {
      console.log(`3-link routed lab built (with warm-up) in ${buildMs} ms`);
      const rules = await lab.exec('client', ['ip', 'rule', 'show'], { check: true });
      for (const link of lab.links) expect(rules.stdout).toContain(`from ${link.client.v4} lookup ${link.table}`);
      const endpoints = await lab.exec('client', ['ip', 'mptcp', 'endpoint', 'show'], { check: true });
      expect(endpoints.stdout).toMatch(/10\.1\.2\.1 id \d+ subflow dev c2/);
      expect(endpoints.stdout).toMatch(/10\.1\.3\.1 id \d+ subflow dev c3/);
      const inside = await lab.exec('client', ['sysctl', '-n', 'net.mptcp.checksum_enabled'], { check: true });
      expect(inside.stdout.trim()).toBe('1');
      const server = await lab.exec('server', ['sysctl', '-n', 'net.mptcp.checksum_enabled'], { check: true });
      expect(server.stdout.trim()).toBe('0');
      for (const link of lab.links) {
        const ping = await lab.exec('client', ['ping', '-c', '1', '-W', '1', '-I', link.client.v4, lab.addresses.server.v4]);
        expect(ping.exitCode).toBe(0);
      }
    } finally {
      await lab.destroy();
    }
  });

  it('endpoint flags and limits are configurable (no endpoints; backup endpoints; limits 1/0)', async () => {
    const { createLab } = await import('./lab.js');
    const none = await createLab({ topology: 'routed', links: 2, endpointFlags: false, limits: { subflows: 1, addAddrAccepted: 0 }, warmUp: false });
    const backup = await createLab({ topology: 'routed', links: 2, ipv6: false, endpointFlags: ['subflow', 'backup'], warmUp: false });
    try {
      expect((await none.exec('client', ['ip', 'mptcp', 'endpoint', 'show'], { check: true })).stdout.trim()).toBe('');
      const limits = await none.exec('server', ['ip', 'mptcp', 'limits', 'show'], { check: true });
      expect(limits.stdout).toMatch(/add_addr_accepted 0 +subflows 1/);
      const endpoints = await backup.exec('client', ['ip', 'mptcp', 'endpoint', 'show'], { check: true });
      expect(endpoints.stdout.trim()).toMatch(/^10\.1\.2\.1 id \d+ subflow backup dev c2$/);
    } finally {
      await Promise.all([none.destroy(), backup.destroy()]);
    }
  });
});
