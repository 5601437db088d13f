// Parsers of `ip` output, fed what iproute2 6.1 printed in a namespace on this kernel (6.18).
import { describe, expect, it } from 'vitest';
import { parseEndpoints, parseInterfaces, parseLimits, parseRoutes, parseRules } from '../../../src/sys/ip.js';
import { parseKernelConfig } from '../../../src/sys/procfs.js';
import { sysctlKey, sysctlPath } from '../../../src/sys/sysctl.js';

describe('parseEndpoints', () => {
  const json =
    '[{"address":"10.9.9.1","id":1,"subflow":true,"dev":"v0"},{"address":"2001:db8::1","id":2,"signal":true,"backup":true,"dev":"v0"},' +
    '{"address":"10.9.9.7","id":9,"subflow":true,"fullmesh":true}]';
  const expected = [
    { id: 1, address: '10.9.9.1', family: 4, dev: 'v0', flags: ['subflow'] },
    { id: 2, address: '2001:db8::1', family: 6, dev: 'v0', flags: ['signal', 'backup'] },
    { id: 9, address: '10.9.9.7', family: 4, flags: ['subflow', 'fullmesh'] },
  ];

  it('reads ip -j mptcp endpoint show', () => {
    expect(parseEndpoints(json)).toEqual(expected);
  });

  it('reads the text form the same way', () => {
    const text = '10.9.9.1 id 1 subflow dev v0 \n2001:db8::1 id 2 signal backup dev v0 \n10.9.9.7 id 9 subflow fullmesh \n';
    expect(parseEndpoints(text)).toEqual(expected);
  });

  it('reads an empty list', () => {
    expect(parseEndpoints('[]\n')).toEqual([]);
    expect(parseEndpoints('')).toEqual([]);
  });
});

describe('parseLimits', () => {
  it('reads the text iproute2 6.1 prints even with -j', () => {
    expect(parseLimits('add_addr_accepted 0 subflows 2 \n')).toEqual({ subflows: 2, addAddrAccepted: 0 });
  });

  it('reads the JSON of newer iproute2', () => {
    expect(parseLimits('{"add_addr_accepted":3,"subflows":8}')).toEqual({ subflows: 8, addAddrAccepted: 3 });
  });

  it('throws on anything else', () => {
    expect(() => parseLimits('Error: Unknown device type.')).toThrow(/cannot parse/);
  });
});

describe('parseRules', () => {
  const text =
    '[{"priority":0,"src":"all","table":"local"},{"priority":32762,"not":null,"src":"10.9.7.1","table":"102"},' +
    '{"priority":32763,"src":"10.9.8.1","action":"unreachable"},{"priority":32764,"src":"all","fwmark":"0x5","table":"101"},' +
    '{"priority":32765,"src":"10.9.9.0","srclen":24,"table":"100"},{"priority":32766,"src":"all","table":"main"}]';

  it('reads selectors, tables and actions', () => {
    expect(parseRules(text)).toEqual([
      { priority: 0, table: 'local', extraSelectors: false },
      { priority: 32762, src: '10.9.7.1', srcLength: 32, table: '102', extraSelectors: true },
      { priority: 32763, src: '10.9.8.1', srcLength: 32, extraSelectors: false },
      { priority: 32764, table: '101', extraSelectors: true },
      { priority: 32765, src: '10.9.9.0', srcLength: 24, table: '100', extraSelectors: false },
      { priority: 32766, table: 'main', extraSelectors: false },
    ]);
  });
});

describe('parseRoutes', () => {
  it('reads tables, multipath next hops and types', () => {
    const text =
      '[{"dst":"default","gateway":"10.9.9.3","dev":"v0","table":"100","metric":5,"flags":[]},' +
      '{"dst":"default","flags":[],"nexthops":[{"gateway":"10.9.9.2","dev":"v0","weight":1,"flags":[]},{"gateway":"10.9.8.2","dev":"v1","weight":1,"flags":[]}]},' +
      '{"type":"local","dst":"10.9.8.1","dev":"v1","table":"local","protocol":"kernel","scope":"host","prefsrc":"10.9.8.1","flags":[]}]';
    expect(parseRoutes(text)).toEqual([
      { dst: 'default', table: '100', type: 'unicast', devs: ['v0'], gateways: ['10.9.9.3'], metric: 5 },
      { dst: 'default', table: 'main', type: 'unicast', devs: ['v0', 'v1'], gateways: ['10.9.9.2', '10.9.8.2'], metric: 0 },
      { dst: '10.9.8.1', table: 'local', type: 'local', devs: ['v1'], gateways: [], metric: 0 },
    ]);
  });
});

describe('parseInterfaces', () => {
  it('reads links, flags and addresses with scope and tentative', () => {
    const text =
      '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"link_type":"loopback","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo"}]},' +
      '{"ifindex":3,"link":"v1","ifname":"v0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"link_type":"ether","addr_info":[{"family":"inet","local":"10.9.9.1","prefixlen":24,"scope":"global","label":"v0"},{"family":"inet6","local":"2001:db8::1","prefixlen":64,"scope":"global","tentative":true}]}]';
    expect(parseInterfaces(text)).toEqual([
      { name: 'lo', index: 1, up: true, loopback: true, addresses: [{ address: '127.0.0.1', family: 4, prefixLength: 8, scope: 'host', tentative: false }] },
      {
        name: 'v0',
        index: 3,
        up: true,
        loopback: false,
        addresses: [
          { address: '10.9.9.1', family: 4, prefixLength: 24, scope: 'global', tentative: false },
          { address: '2001:db8::1', family: 6, prefixLength: 64, scope: 'global', tentative: true },
        ],
      },
    ]);
  });
});

describe('kernel config and sysctl keys', () => {
  it('keeps the MPTCP options, set or not', () => {
    expect(parseKernelConfig('CONFIG_NET=y\nCONFIG_MPTCP=y\n# CONFIG_MPTCP_KUNIT_TEST is not set\nCONFIG_INET_MPTCP_DIAG=m\n')).toEqual({
      CONFIG_MPTCP: 'y',
      CONFIG_MPTCP_KUNIT_TEST: 'n',
      CONFIG_INET_MPTCP_DIAG: 'm',
    });
  });

  it('maps keys to /proc/sys paths, with the slash form for names holding dots', () => {
    expect(sysctlPath('net.mptcp.enabled')).toBe('/proc/sys/net/mptcp/enabled');
    expect(sysctlKey(['net', 'ipv4', 'conf', 'eth0.100', 'rp_filter'])).toBe('net/ipv4/conf/eth0.100/rp_filter');
    expect(sysctlPath('net/ipv4/conf/eth0.100/rp_filter')).toBe('/proc/sys/net/ipv4/conf/eth0.100/rp_filter');
  });

  it('refuses keys that could leave /proc/sys', () => {
    expect(() => sysctlPath('net/../../etc/passwd')).toThrow(/not a sysctl key/);
    expect(() => sysctlPath('enabled')).toThrow(/not a sysctl key/);
    expect(() => sysctlPath('net.mptcp.enabled=1')).toThrow(/not a sysctl key/);
  });
});
