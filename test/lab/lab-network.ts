// Building a lab's network: namespaces, veth links, addresses, routes, per-link routing rules,
// sysctls and MPTCP limits and endpoints, all through `ip -batch` (topology.ts has the address
// plan). Also what restores a link after linkDown removed its addresses and routes.
import { execIn } from './exec.js';
import type { Lab } from './lab.js';
import { SERVER_LINK, type LabSpec, type LinkInfo, type Role } from './topology.js';

/**
 * Creates the namespaces, links, addresses, routes and MPTCP settings. The `ip` work goes through
 * `ip -n NS -batch -`, one process per step instead of one per command: a lab builds in a few
 * process spawns.
 */
export async function buildNetwork(lab: Lab): Promise<void> {
  const ns = lab.namespaces;
  await Promise.all(Object.values(ns).map((name) => execIn(undefined, ['ip', 'netns', 'add', name!], { check: true })));
  await Promise.all(Object.entries(ns).map(([role, name]) => applySysctls(lab.spec, role as Role, name!)));
  const cli = lab.ns('client');
  const routed = lab.spec.topology === 'routed';
  const peer = routed ? lab.ns('router') : lab.ns('server');

  // 1. client: create every link (peer ends go straight into the peer namespace), address it.
  const client: string[][] = [['link', 'set', 'lo', 'up']];
  for (const link of lab.links) {
    // Distinct ifindexes at the two ends: the kernel treats a veth's carrier change as urgent only
    // when its ifindex differs from its peer's (linkwatch_urgent_event); fresh namespaces would give
    // both ends index 2, and the deferred event costs IPv6 about 1 s before the link is usable.
    client.push(['link', 'add', link.clientIf, 'index', String(10 + link.index), 'type', 'veth',
      'peer', 'name', link.peerIf, 'index', String(20 + link.index), 'netns', peer]);
    client.push(...addressCommands(link.clientIf, link.client.v4, link.client.v6, link.prefix4, link.prefix6));
  }
  await ipBatch(cli, client);

  // 2. the peer (router, or the server of a direct pair): its link ends, and the server link.
  const middle: string[][] = [['link', 'set', 'lo', 'up']];
  for (const link of lab.links) middle.push(...addressCommands(link.peerIf, link.peer.v4, link.peer.v6, link.prefix4, link.prefix6));
  if (routed) {
    const router = lab.addresses.router!.server;
    middle.push(['link', 'add', SERVER_LINK.routerIf, 'index', '30', 'type', 'veth',
      'peer', 'name', SERVER_LINK.serverIf, 'index', '31', 'netns', lab.ns('server')]);
    middle.push(...addressCommands(SERVER_LINK.routerIf, router.v4, router.v6, SERVER_LINK.prefix4, SERVER_LINK.prefix6));
  } else {
    middle.push(limitsCommand(lab.spec));
  }
  await ipBatch(peer, middle);

  // 3. the server behind a router: address, default route, MPTCP limits.
  if (routed) {
    const router = lab.addresses.router!.server;
    const server = lab.addresses.server;
    await ipBatch(lab.ns('server'), [
      ['link', 'set', 'lo', 'up'],
      ...addressCommands(SERVER_LINK.serverIf, server.v4, server.v6, SERVER_LINK.prefix4, SERVER_LINK.prefix6),
      ['-4', 'route', 'replace', 'default', 'via', router.v4],
      ...(router.v6 ? [['-6', 'route', 'replace', 'default', 'via', router.v6]] : []),
      limitsCommand(lab.spec),
    ]);
  }

  // 4. client routing (now that gateways exist), limits and endpoints.
  const routing: string[][] = [];
  if (routed) for (const link of lab.links) routing.push(...routingCommands(link, true));
  routing.push(limitsCommand(lab.spec));
  const flags = lab.spec.endpointFlags ?? ['subflow'];
  if (flags !== false) {
    for (const link of lab.links.slice(1)) {
      for (const address of [link.client.v4, link.client.v6]) {
        if (address) routing.push(['mptcp', 'endpoint', 'add', address, 'dev', link.clientIf, ...flags]);
      }
    }
  }
  await ipBatch(cli, routing);
}

function limitsCommand(spec: LabSpec): string[] {
  const subflows = String(spec.limits?.subflows ?? 2);
  const accepted = String(spec.limits?.addAddrAccepted ?? 2);
  return ['mptcp', 'limits', 'set', 'subflows', subflows, 'add_addr_accepted', accepted];
}

async function applySysctls(spec: LabSpec, role: Role, name: string): Promise<void> {
  const sysctls: Record<string, string | number> = {
    // Replies on link 2 come back to an address that the main table routes via link 1: strict
    // reverse-path filtering would drop them. Per namespace, never the host's.
    'net.ipv4.conf.all.rp_filter': 0,
    'net.ipv4.conf.default.rp_filter': 0,
    // IPv6 addresses would otherwise vanish on link down; linkUp() re-adds them anyway.
    'net.ipv6.conf.all.keep_addr_on_down': 1,
    'net.ipv6.conf.default.keep_addr_on_down': 1,
    // Our addresses are added nodad; link-local ones are not, and DAD on them would delay the
    // first neighbour discovery.
    'net.ipv6.conf.all.accept_dad': 0,
    'net.ipv6.conf.default.accept_dad': 0,
    ...(role === 'router' ? { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1 } : {}),
    ...spec.sysctls?.[role],
  };
  const args = Object.entries(sysctls).map(([k, v]) => {
    if (!k.startsWith('net.')) throw new Error(`lab: sysctl ${k} is not per network namespace`);
    return `${k}=${v}`;
  });
  await execIn(name, ['sysctl', '-q', '-w', ...args], { check: true });
}

/** Default route via link 1 in the main table; per link: `ip rule from <addr> table 10x` + default in it. */
function routingCommands(link: LinkInfo, addRules: boolean): string[][] {
  const commands: string[][] = [];
  const families: Array<['-4' | '-6', string, string]> = [['-4', link.client.v4, link.peer.v4]];
  if (link.client.v6 && link.peer.v6) families.push(['-6', link.client.v6, link.peer.v6]);
  for (const [family, source, gateway] of families) {
    if (link.index === 1) commands.push([family, 'route', 'replace', 'default', 'via', gateway, 'dev', link.clientIf]);
    commands.push([family, 'route', 'replace', 'default', 'via', gateway, 'dev', link.clientIf, 'table', String(link.table)]);
    if (addRules) commands.push([family, 'rule', 'add', 'from', source, 'table', String(link.table)]);
  }
  return commands;
}

/** Re-applies a link's addresses, routes and (missing) rules: what linkDown removed. */
export async function restoreLink(lab: Lab, link: LinkInfo): Promise<void> {
  const cli = lab.ns('client');
  await ipBatch(cli, addressCommands(link.clientIf, link.client.v4, link.client.v6, link.prefix4, link.prefix6));
  await ipBatch(lab.ns(link.peerRole), addressCommands(link.peerIf, link.peer.v4, link.peer.v6, link.prefix4, link.prefix6));
  if (lab.spec.topology === 'direct') return;
  await ipBatch(cli, routingCommands(link, false));
  for (const [family, source] of [['-4', link.client.v4], ['-6', link.client.v6]] as const) {
    if (!source) continue;
    const rules = await execIn(cli, ['ip', family, 'rule', 'show', 'from', source, 'table', String(link.table)], { check: true });
    if (rules.stdout.trim() === '') await execIn(cli, ['ip', family, 'rule', 'add', 'from', source, 'table', String(link.table)], { check: true });
  }
}

/** `ip addr replace` (v4, and v6 nodad) and `link set up` for one interface, as batch lines. */
function addressCommands(ifname: string, v4: string, v6: string | undefined, p4: number, p6: number): string[][] {
  return [
    ['-4', 'addr', 'replace', `${v4}/${p4}`, 'dev', ifname],
    ...(v6 ? [['-6', 'addr', 'replace', `${v6}/${p6}`, 'dev', ifname, 'nodad']] : []),
    ['link', 'set', ifname, 'up'],
  ];
}

/**
 * Runs `ip` commands in namespace ns through `ip -n NS -batch -` (stops at the first error). Batch
 * lines cannot carry -4/-6, and `rule` defaults to IPv4: lines starting with '-6' go to a second
 * `ip -6 -batch` run after the rest; '-4' is dropped (the default).
 */
async function ipBatch(ns: string, commands: string[][]): Promise<void> {
  for (const command of commands) {
    if (command.some((word) => word === '' || /\s/.test(word))) throw new Error(`lab: bad ip batch word in ${command.join(' ')}`);
  }
  const v6 = commands.filter((c) => c[0] === '-6').map((c) => c.slice(1));
  const rest = commands.filter((c) => c[0] !== '-6').map((c) => (c[0] === '-4' ? c.slice(1) : c));
  for (const [family, group] of [[[], rest], [['-6'], v6]] as const) {
    if (group.length === 0) continue;
    await execIn(undefined, ['ip', ...family, '-n', ns, '-batch', '-'], { input: `${group.map((c) => c.join(' ')).join('\n')}\n`, check: true });
  }
}
