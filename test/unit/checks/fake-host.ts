// A fake host for check unit tests: a plain object describing a healthy MPTCP host, with overrides.
import type { CheckContext, LoopbackResult } from '../../../checks/types.js';
import type { Host, IpRoute, IpRule, MptcpEndpoint, NetworkInterface } from '../../../src/sys/host.js';

export interface FakeHostData {
  platform?: string;
  release?: string;
  config?: Awaited<ReturnType<Host['kernelConfig']>>;
  sysctls?: Record<string, string | undefined>;
  counters?: Record<string, number> | undefined;
  endpoints?: MptcpEndpoint[];
  limits?: { subflows: number; addAddrAccepted: number };
  interfaces?: NetworkInterface[];
  rules?: { 4?: IpRule[]; 6?: IpRule[] };
  routes?: { 4?: IpRoute[]; 6?: IpRoute[] };
  processes?: Array<{ pid: number; name: string }>;
  probe?: Partial<Record<4 | 6, Awaited<ReturnType<Host['probeSocket']>>>>;
}

export const HEALTHY_SYSCTLS: Record<string, string> = {
  'net.mptcp.enabled': '1',
  'net.mptcp.checksum_enabled': '1',
  'net.mptcp.path_manager': 'kernel',
  'net.mptcp.pm_type': '0',
  'net.mptcp.blackhole_timeout': '3600',
  'net.ipv4.conf.all.rp_filter': '0',
  'net.ipv4.conf.eth0.rp_filter': '0',
  'net.ipv4.conf.eth1.rp_filter': '0',
};

export function iface(name: string, index: number, ...addresses: string[]): NetworkInterface {
  return {
    name,
    index,
    up: true,
    loopback: name === 'lo',
    addresses: addresses.map((a) => {
      const [address, length] = a.split('/');
      return {
        address: address!,
        family: address!.includes(':') ? 6 : 4,
        prefixLength: Number(length ?? 24),
        scope: name === 'lo' ? 'host' : address!.startsWith('fe80') ? 'link' : 'global',
        tentative: false,
      };
    }),
  };
}

export function route(dst: string, dev: string, extra: Partial<IpRoute> = {}): IpRoute {
  return { dst, table: 'main', type: 'unicast', devs: [dev], gateways: [], metric: 0, ...extra };
}

export const TWO_LINKS: NetworkInterface[] = [
  iface('lo', 1, '127.0.0.1/8'),
  iface('eth0', 2, '192.0.2.10/24'),
  iface('eth1', 3, '198.51.100.10/24'),
];

export function fakeHost(data: FakeHostData = {}): Host {
  const sysctls = { ...HEALTHY_SYSCTLS, ...data.sysctls };
  return {
    platform: data.platform ?? 'linux',
    kernelRelease: async () => data.release ?? '6.18.4',
    kernelConfig: async () =>
      'config' in data ? data.config : { source: '/proc/config.gz', options: { CONFIG_MPTCP: 'y', CONFIG_MPTCP_IPV6: 'y' } },
    sysctl: async (key) => sysctls[key],
    mptcpCounters: async () => ('counters' in data ? data.counters : { MPCapableSYNRX: 3, Blackhole: 0, MPCapableSYNTXDisabled: 0 }),
    endpoints: async () => data.endpoints ?? [],
    limits: async () => data.limits ?? { subflows: 2, addAddrAccepted: 2 },
    interfaces: async () => data.interfaces ?? TWO_LINKS,
    rules: async (family) => data.rules?.[family] ?? [],
    routes: async (family) => data.routes?.[family] ?? [],
    processes: async () => data.processes ?? [{ pid: 1, name: 'init' }],
    probeSocket: async (family) =>
      data.probe?.[family] ?? { family, socket: 'mptcp', options: { mptcpInfo: true, tcpIsMptcp: true, fullInfo: true } },
  };
}

export const HELD: LoopbackResult = {
  socket: 'mptcp',
  client: { state: 'mptcp', method: 'tcp_is_mptcp' },
  server: { state: 'mptcp', method: 'tcp_is_mptcp' },
  bytes: 65536,
  elapsedMs: 4,
  subflows: 1,
  address: '127.0.0.1:40000',
};

export function context(data: FakeHostData = {}, loopback: () => Promise<LoopbackResult> = async () => HELD): CheckContext {
  return { host: fakeHost(data), loopback };
}

export function endpoint(id: number, address: string, flags: MptcpEndpoint['flags'] = ['subflow'], dev?: string): MptcpEndpoint {
  return { id, address, family: address.includes(':') ? 6 : 4, flags, ...(dev ? { dev } : {}) };
}
