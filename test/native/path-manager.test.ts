// The path manager's endpoints and limits read over netlink, compared field by field with what
// `ip mptcp` prints, in a namespace holding every kind of endpoint (IPv4, IPv6, each flag, a port).
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { missingRequirement } from '../support/gate.js';
import { createNetns, type Netns } from '../support/netns.js';

const skip = missingRequirement('path manager over netlink', 'root', 'netns');

describe.skipIf(skip)('path manager over netlink', () => {
  let ns: Netns;
  beforeAll(async () => {
    ns = await createNetns('pm');
    const ip = (...args: string[]) => ns.exec(['ip', ...args]);
    await ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    await ip('addr', 'add', '192.0.2.1/24', 'dev', 'v0');
    await ip('addr', 'add', '192.0.2.5/24', 'dev', 'v0');
    await ip('addr', 'add', '2001:db8::1/64', 'dev', 'v1', 'nodad');
    await ip('link', 'set', 'v0', 'up');
    await ip('link', 'set', 'v1', 'up');
    await ip('mptcp', 'limits', 'set', 'subflows', '3', 'add_addr_accepted', '5');
    await ip('mptcp', 'endpoint', 'add', '192.0.2.1', 'dev', 'v0', 'subflow', 'backup');
    await ip('mptcp', 'endpoint', 'add', '2001:db8::1', 'dev', 'v1', 'signal');
    await ip('mptcp', 'endpoint', 'add', '192.0.2.5', 'port', '10100', 'signal');
    await ip('mptcp', 'endpoint', 'add', '203.0.113.9', 'dev', 'v0', 'subflow', 'fullmesh');
  });
  afterAll(async () => ns?.destroy());

  test('endpoints and limits match ip mptcp, field by field', async () => {
    const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;
    const script = new URL('./fixtures/path-manager.ts', import.meta.url).pathname;
    const { stdout } = await execa('ip', ['netns', 'exec', ns.name, tsx, script], { timeout: 30_000 });
    const { netlink, ip } = JSON.parse(stdout);
    expect(netlink.limits).toEqual({ subflows: 3, addAddrAccepted: 5 });
    expect(netlink.limits).toEqual(ip.limits);
    expect(netlink.endpoints).toHaveLength(4);
    const byId = (list: Array<{ id: number }>) => [...list].sort((a, b) => a.id - b.id);
    expect(byId(netlink.endpoints)).toEqual(byId(ip.endpoints));
    expect(netlink.endpoints.find((e: { address: string }) => e.address === '192.0.2.5')).toMatchObject({ port: 10100, flags: ['signal'] });
    expect(netlink.endpoints.find((e: { address: string }) => e.address === '2001:db8::1')).toMatchObject({ family: 6, dev: 'v1' });
  });
});
