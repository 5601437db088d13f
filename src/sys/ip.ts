// `ip` (iproute2) readers. Parsers are pure and take what `ip -j` printed; iproute2 6.1 prints
// `ip -j mptcp limits show` as text (JSON came later), so limits and endpoints also parse text.
import type {
  EndpointFlag, Family, IpRoute, IpRule, MptcpEndpoint, MptcpLimits, NetworkInterface,
} from './host.js';
import { runProgram } from './run-program.js';

const ENDPOINT_FLAGS: readonly EndpointFlag[] = ['signal', 'subflow', 'backup', 'fullmesh', 'implicit', 'laminar'];

function familyOf(address: string): Family {
  return address.includes(':') ? 6 : 4;
}

function tryJson(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    return undefined;
  }
}

type Json = Record<string, unknown>;

/** `ip -j mptcp endpoint show` (JSON array) or its text form ("10.0.0.1 id 1 subflow dev eth0"). */
export function parseEndpoints(text: string): MptcpEndpoint[] {
  const json = tryJson(text);
  if (Array.isArray(json)) {
    return (json as Json[]).map((entry) => {
      const address = String(entry.address);
      const endpoint: MptcpEndpoint = {
        id: Number(entry.id),
        address,
        family: familyOf(address),
        flags: ENDPOINT_FLAGS.filter((flag) => entry[flag] === true),
      };
      if (typeof entry.port === 'number') endpoint.port = entry.port;
      if (typeof entry.dev === 'string') endpoint.dev = entry.dev;
      return endpoint;
    });
  }
  const endpoints: MptcpEndpoint[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    const address = words[0]!;
    const endpoint: MptcpEndpoint = { id: 0, address, family: familyOf(address), flags: [] };
    for (let i = 1; i < words.length; i += 1) {
      const word = words[i]!;
      if (word === 'id') endpoint.id = Number(words[++i]);
      else if (word === 'dev') endpoint.dev = words[++i];
      else if (word === 'port') endpoint.port = Number(words[++i]);
      else if ((ENDPOINT_FLAGS as readonly string[]).includes(word)) endpoint.flags.push(word as EndpointFlag);
    }
    endpoints.push(endpoint);
  }
  return endpoints;
}

/** `ip -j mptcp limits show`: JSON object (newer iproute2) or "add_addr_accepted 0 subflows 2". */
export function parseLimits(text: string): MptcpLimits {
  const json = tryJson(text);
  const values: Record<string, number> = {};
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    for (const [key, value] of Object.entries(json as Json)) values[key] = Number(value);
  } else {
    const words = text.trim().split(/\s+/);
    for (let i = 0; i + 1 < words.length; i += 2) values[words[i]!] = Number(words[i + 1]);
  }
  const subflows = values.subflows;
  const addAddrAccepted = values.add_addr_accepted;
  if (!Number.isInteger(subflows) || !Number.isInteger(addAddrAccepted)) {
    throw new Error(`cannot parse ip mptcp limits output: ${JSON.stringify(text.trim().slice(0, 120))}`);
  }
  return { subflows: subflows!, addAddrAccepted: addAddrAccepted! };
}

/** `ip -j addr show`. */
export function parseInterfaces(text: string): NetworkInterface[] {
  const json = tryJson(text);
  if (!Array.isArray(json)) throw new Error('ip -j addr: not a JSON array');
  return (json as Json[]).map((link) => {
    const flags = Array.isArray(link.flags) ? (link.flags as string[]) : [];
    const addresses = Array.isArray(link.addr_info) ? (link.addr_info as Json[]) : [];
    return {
      name: String(link.ifname),
      index: Number(link.ifindex),
      up: flags.includes('UP'),
      loopback: flags.includes('LOOPBACK') || link.link_type === 'loopback',
      addresses: addresses
        .filter((a) => a.family === 'inet' || a.family === 'inet6')
        .map((a) => ({
          address: String(a.local),
          family: a.family === 'inet6' ? 6 : 4,
          prefixLength: Number(a.prefixlen),
          scope: String(a.scope ?? 'global'),
          tentative: a.tentative === true,
        })),
    };
  });
}

const RULE_EXTRA_SELECTORS = ['fwmark', 'iif', 'iifname', 'oif', 'oifname', 'not', 'uidrange', 'ipproto', 'sport', 'dport', 'tos', 'dsfield', 'l3mdev'];

/** `ip -j rule show`. */
export function parseRules(text: string): IpRule[] {
  const json = tryJson(text);
  if (!Array.isArray(json)) throw new Error('ip -j rule: not a JSON array');
  return (json as Json[]).map((entry) => {
    const rule: IpRule = {
      priority: Number(entry.priority ?? 0),
      extraSelectors: RULE_EXTRA_SELECTORS.some((key) => key in entry && entry[key] !== false),
    };
    if (typeof entry.src === 'string' && entry.src !== 'all') {
      rule.src = entry.src;
      rule.srcLength = typeof entry.srclen === 'number' ? entry.srclen : entry.src.includes(':') ? 128 : 32;
    }
    // A rule without "action" looks up a table; "goto", "blackhole", "unreachable" do not.
    if (entry.table !== undefined && (entry.action === undefined || entry.action === 'to_tbl')) rule.table = String(entry.table);
    return rule;
  });
}

/** `ip -j route show table all`. */
export function parseRoutes(text: string): IpRoute[] {
  const json = tryJson(text);
  if (!Array.isArray(json)) throw new Error('ip -j route: not a JSON array');
  return (json as Json[]).map((entry) => {
    const nexthops = Array.isArray(entry.nexthops) ? (entry.nexthops as Json[]) : [];
    const devs = [entry.dev, ...nexthops.map((n) => n.dev)].filter((d): d is string => typeof d === 'string');
    const gateways = [entry.gateway, ...nexthops.map((n) => n.gateway)].filter((g): g is string => typeof g === 'string');
    return {
      dst: String(entry.dst ?? 'default'),
      table: entry.table === undefined ? 'main' : String(entry.table),
      type: entry.type === undefined ? 'unicast' : String(entry.type),
      devs,
      gateways,
      metric: typeof entry.metric === 'number' ? entry.metric : 0,
    };
  });
}

async function ip(args: string[]): Promise<string> {
  return (await runProgram('ip', args)).stdout;
}

export async function readEndpoints(): Promise<MptcpEndpoint[]> {
  return parseEndpoints(await ip(['-j', 'mptcp', 'endpoint', 'show']));
}

export async function readLimits(): Promise<MptcpLimits> {
  return parseLimits(await ip(['-j', 'mptcp', 'limits', 'show']));
}

export async function readInterfaces(): Promise<NetworkInterface[]> {
  return parseInterfaces(await ip(['-j', 'addr', 'show']));
}

export async function readRules(family: Family): Promise<IpRule[]> {
  return parseRules(await ip(['-j', `-${family}`, 'rule', 'show']));
}

export async function readRoutes(family: Family): Promise<IpRoute[]> {
  return parseRoutes(await ip(['-j', `-${family}`, 'route', 'show', 'table', 'all']));
}
