// The address plan of a topology, as plain data. Addresses live only inside our namespaces, so
// every lab can use the same plan; only namespace names need to be unique.
export type Role = 'client' | 'router' | 'server';

export interface LabSpec {
  /** `direct`: client and server on one veth pair. `routed`: client =(N links)= router -- server. */
  topology: 'direct' | 'routed';
  /** Client links for `routed` (1..3, default 2). `direct` has exactly one. */
  links?: number;
  /** Add IPv6 addresses and routes (nodad) as well as IPv4. Default true. */
  ipv6?: boolean;
  /**
   * MPTCP endpoints in the client for every link after the first (the first address is the
   * connection's own). Default `['subflow']`; `false` for none; other flags e.g. `['subflow', 'backup']`.
   */
  endpointFlags?: string[] | false;
  /** `ip mptcp limits set` in client and server. Default subflows 2, add_addr_accepted 2. */
  limits?: { subflows?: number; addAddrAccepted?: number };
  /** Extra sysctls per namespace (`net.*` keys only: they are per namespace), applied before links exist. */
  sysctls?: Partial<Record<Role, Record<string, string | number>>>;
  /** Ping every path once after building, so the first test connection does not pay a SYN retransmit. Default true. */
  warmUp?: boolean;
  /** Override the namespace name prefix (the lab CLI uses a fixed one). */
  prefix?: string;
}

export interface AddressPair {
  v4: string;
  /** undefined when the lab was built without IPv6 */
  v6: string | undefined;
}

export interface LinkInfo {
  /** 1-based */
  index: number;
  /** interface name in the client namespace */
  clientIf: string;
  /** namespace at the other end (router, or server for `direct`) */
  peerRole: Role;
  /** interface name in the peer namespace */
  peerIf: string;
  /** the client's address on this link */
  client: AddressPair;
  /** the router's (or direct server's) address on this link: the client's gateway */
  peer: AddressPair;
  prefix4: number;
  prefix6: number;
  /** routing table selected by `ip rule from <client address>` (100 + index) */
  table: number;
}

export interface LabAddresses {
  /** the client's addresses, one per link, in link order */
  client: AddressPair[];
  /** where tests connect to */
  server: AddressPair;
  /** router addresses (routed only): its side of each client link, and its side of the server link */
  router: { client: AddressPair[]; server: AddressPair } | undefined;
}

export function pair(v4: string, v6: string, ipv6: boolean): AddressPair {
  return { v4, v6: ipv6 ? v6 : undefined };
}

export function planLinks(spec: LabSpec): LinkInfo[] {
  const ipv6 = spec.ipv6 ?? true;
  const count = spec.topology === 'direct' ? 1 : (spec.links ?? 2);
  if (spec.topology === 'direct' && spec.links !== undefined && spec.links !== 1) {
    throw new Error('lab: a direct topology has exactly one link');
  }
  if (!Number.isInteger(count) || count < 1 || count > 3) throw new Error(`lab: links must be 1..3, not ${count}`);
  const links: LinkInfo[] = [];
  for (let i = 1; i <= count; i += 1) {
    links.push({
      index: i,
      clientIf: `c${i}`,
      peerRole: spec.topology === 'direct' ? 'server' : 'router',
      peerIf: spec.topology === 'direct' ? `s${i}` : `r${i}`,
      client: pair(`10.1.${i}.1`, `fd00:1:${i}::1`, ipv6),
      peer: pair(`10.1.${i}.2`, `fd00:1:${i}::2`, ipv6),
      prefix4: 24,
      prefix6: 64,
      table: 100 + i,
    });
  }
  return links;
}

/** The router<->server link of a routed topology. */
export const SERVER_LINK = { routerIf: 'rs', serverIf: 's0', prefix4: 24, prefix6: 64 } as const;

export function planAddresses(spec: LabSpec, links: readonly LinkInfo[]): LabAddresses {
  const ipv6 = spec.ipv6 ?? true;
  if (spec.topology === 'direct') {
    return { client: links.map((l) => l.client), server: links[0]!.peer, router: undefined };
  }
  return {
    client: links.map((l) => l.client),
    server: pair('10.1.100.2', 'fd00:1:100::2', ipv6),
    router: { client: links.map((l) => l.peer), server: pair('10.1.100.1', 'fd00:1:100::1', ipv6) },
  };
}
