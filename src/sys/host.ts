// Everything the readiness checks read about the host, as one interface. The real implementation
// (real-host.ts) reads procfs and runs `ip`; unit tests hand checks a plain object instead.
import type { TcpReason } from '../native/socket-factory.js';
import type { CounterSnapshot } from './counters.js';

export type Family = 4 | 6;

export type EndpointFlag = 'signal' | 'subflow' | 'backup' | 'fullmesh' | 'implicit' | 'laminar';

/** One `ip mptcp endpoint` entry (in-kernel path manager). */
export interface MptcpEndpoint {
  id: number;
  address: string;
  family: Family;
  port?: number;
  dev?: string;
  flags: EndpointFlag[];
}

/** `ip mptcp limits`: how many extra subflows and accepted ADD_ADDRs per connection. */
export interface MptcpLimits {
  subflows: number;
  addAddrAccepted: number;
}

export interface InterfaceAddress {
  address: string;
  family: Family;
  prefixLength: number;
  /** 'global', 'link', 'host', ... */
  scope: string;
  /** Still doing duplicate address detection (IPv6): not usable as a source yet. */
  tentative: boolean;
}

export interface NetworkInterface {
  name: string;
  index: number;
  up: boolean;
  loopback: boolean;
  addresses: InterfaceAddress[];
}

/** One policy routing rule (`ip rule`). */
export interface IpRule {
  priority: number;
  /** Source selector; undefined for "from all". */
  src?: string;
  srcLength?: number;
  /** Table the rule looks up ('main', 'local', '100', ...); undefined for non-lookup actions. */
  table?: string;
  /** The rule also matches on something a plain subflow lacks (fwmark, iif, oif, not, ...). */
  extraSelectors: boolean;
}

export interface IpRoute {
  /** 'default' or a prefix ('10.0.0.0/24', '10.0.0.1'). */
  dst: string;
  /** 'main' when ip printed no table. */
  table: string;
  /** 'unicast' when ip printed no type. */
  type: string;
  /** Devices the route leaves through (several for multipath routes). */
  devs: string[];
  gateways: string[];
  metric: number;
}

export interface ProcessInfo {
  pid: number;
  /** /proc/PID/comm: at most 15 characters. */
  name: string;
}

export interface KernelConfig {
  /** Where it was read: /proc/config.gz or /boot/config-RELEASE. */
  source: string;
  /** CONFIG_* options that mention MPTCP, with their values ('y', 'm'). */
  options: Record<string, string>;
}

/** Which MPTCP socket options answered on a fresh MPTCP socket. */
export interface SocketOptionProbe {
  mptcpInfo: boolean;
  tcpIsMptcp: boolean;
  fullInfo: boolean;
}

/** What creating an MPTCP socket in this process gave (src/native createSocket). */
export interface SocketProbe {
  family: Family;
  socket: 'mptcp' | 'tcp';
  reason?: TcpReason;
  reasonText?: string;
  refusalCode?: string;
  /** Set when the socket was MPTCP. */
  options?: SocketOptionProbe;
}

export interface Host {
  /** process.platform. */
  platform: string;
  kernelRelease(): Promise<string>;
  /** The kernel's build configuration, or undefined when neither /proc/config.gz nor /boot/config-* is readable. */
  kernelConfig(): Promise<KernelConfig | undefined>;
  /** The text of a sysctl (trimmed), or undefined when it does not exist. Key: 'net.mptcp.enabled'. */
  sysctl(key: string): Promise<string | undefined>;
  /** MPTcpExt counters, or undefined when /proc/net/netstat has none. */
  mptcpCounters(): Promise<CounterSnapshot | undefined>;
  endpoints(): Promise<MptcpEndpoint[]>;
  limits(): Promise<MptcpLimits>;
  interfaces(): Promise<NetworkInterface[]>;
  rules(family: Family): Promise<IpRule[]>;
  /** Routes of every table. */
  routes(family: Family): Promise<IpRoute[]>;
  processes(): Promise<ProcessInfo[]>;
  probeSocket(family: Family): Promise<SocketProbe>;
}
