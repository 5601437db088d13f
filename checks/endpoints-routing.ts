// endpoints.routing: a subflow bound to an endpoint's address must leave through that endpoint's
// interface. Without a source rule ("ip rule add from ADDR table T" plus a route on the device in T)
// the kernel looks the destination up in main and the subflow leaves via the default route, with a
// source address the next hop may drop (rp_filter, anti-spoofing) or that takes the same path anyway.
import type { Family, IpRoute, IpRule, MptcpEndpoint } from '../src/sys/host.js';
import { endpointDevice, inPrefix } from './host-facts.js';
import type { Check } from './types.js';

const BUILTIN_TABLES = new Set(['local', 'main', 'default']);

interface Verdict {
  ok: boolean;
  line: string;
  commands?: string[][];
}

function familyArgs(family: Family): string[] {
  return family === 6 ? ['-6'] : [];
}

function judge(endpoint: MptcpEndpoint, dev: string, rules: IpRule[], routes: IpRoute[]): Verdict {
  const viaDev = (r: IpRoute) => r.type === 'unicast' && r.devs.includes(dev);
  const sourceRules = rules
    .filter((r) => !r.extraSelectors && r.src !== undefined && r.table !== undefined && !BUILTIN_TABLES.has(r.table))
    .filter((r) => inPrefix(endpoint.address, r.src!, r.srcLength!))
    .sort((a, b) => a.priority - b.priority);
  for (const rule of sourceRules) {
    if (routes.some((r) => r.table === rule.table && viaDev(r))) {
      return { ok: true, line: `${endpoint.address} (${dev}): rule ${rule.priority} from ${rule.src}/${rule.srcLength} lookup ${rule.table}, which routes via ${dev}` };
    }
  }
  const defaults = routes.filter((r) => r.table === 'main' && r.dst === 'default' && r.type === 'unicast').sort((a, b) => a.metric - b.metric);
  const primary = defaults[0];
  if (primary?.devs.includes(dev)) {
    return { ok: true, line: `${endpoint.address} (${dev}): the default route leaves through ${dev}` };
  }
  const table = String(100 + endpoint.id);
  const gateway = routes.find((r) => r.devs.includes(dev) && r.gateways.length > 0)?.gateways[0];
  const routeArgs = gateway ? ['via', gateway, 'dev', dev] : ['dev', dev];
  const brokenRule = sourceRules[0];
  const why = brokenRule
    ? `rule from ${brokenRule.src}/${brokenRule.srcLength} looks up table ${brokenRule.table}, which has no route via ${dev}`
    : 'no source rule';
  const where = primary ? `the default route (dev ${primary.devs.join(',')})` : 'no route beyond its own link (no default route)';
  return {
    ok: false,
    line: `${endpoint.address} (${dev}): ${why}; its subflows would use ${where}`,
    commands: [
      ...(brokenRule ? [] : [['ip', ...familyArgs(endpoint.family), 'rule', 'add', 'from', endpoint.address, 'table', table]]),
      ['ip', ...familyArgs(endpoint.family), 'route', 'add', 'default', ...routeArgs, 'table', brokenRule?.table ?? table],
    ],
  };
}

export const endpointsRoutingCheck: Check = {
  id: 'endpoints.routing',
  title: 'endpoint source routing',
  async run({ host }) {
    const endpoints = (await host.endpoints()).filter((e) => e.flags.includes('subflow'));
    if (endpoints.length === 0) return { status: 'skip', summary: 'no subflow endpoints to route', evidence: [] };
    const families = [...new Set(endpoints.map((e) => e.family))];
    const [interfaces, ...tables] = await Promise.all([
      host.interfaces(),
      ...families.map(async (f) => ({ family: f, rules: await host.rules(f), routes: await host.routes(f) })),
    ]);
    const evidence: string[] = [];
    const commands: string[][] = [];
    const unrouted: string[] = [];
    for (const endpoint of endpoints) {
      const dev = endpointDevice(endpoint, interfaces);
      if (!dev) {
        evidence.push(`${endpoint.address}: on no interface (see endpoints)`);
        continue;
      }
      const { rules, routes } = tables.find((t) => t.family === endpoint.family)!;
      const verdict = judge(endpoint, dev, rules, routes);
      evidence.push(verdict.line);
      if (!verdict.ok) {
        unrouted.push(endpoint.address);
        commands.push(...(verdict.commands ?? []));
      }
    }
    if (unrouted.length === 0) {
      return { status: 'pass', summary: `${endpoints.length} subflow endpoint${endpoints.length === 1 ? '' : 's'} leave through their own interface`, evidence };
    }
    return {
      status: 'warn',
      summary: `no source route for ${unrouted.join(', ')}: subflows would leave via the default route`,
      evidence,
      fix: {
        advice:
          'Give each endpoint address a routing table that leaves through its interface, and a rule selecting it ' +
          'by source address (set the gateway of that link where the command has none).',
        commands,
      },
    };
  },
};
