// A lab: network namespaces joined by veth pairs (topology.ts has the address plan), the
// programs started inside them, and everything needed to take it all down again.
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerForCleanup, unregisterForCleanup } from './cleanup.js';
import { diffCounters, snapshotCounters, type Counters } from './counters.js';
import { execIn, type ExecOptions, type ExecResult } from './exec.js';
import { nextLabPrefix } from './names.js';
import { cliEntry, packageRoot } from './paths.js';
import { Middleboxes } from './middlebox.js';
import { isZombie, LabProcess, signal, waitGone, type SpawnOptions } from './process.js';
import { killAndDeleteSync, namespacePids, sweepStaleNamespaces } from './sweep.js';
import {
  planAddresses, planLinks, SERVER_LINK,
  type LabAddresses, type LabSpec, type LinkInfo, type Role,
} from './topology.js';

export type NamespaceRef = Role | string;

const SHORT: Record<Role, string> = { client: 'cli', router: 'rtr', server: 'srv' };

export interface ShapeOptions {
  /** tbf rate in Mbit/s */
  rateMbit: number;
  /** which way to shape: toward the client (`down`), from it (`up`), or both (default) */
  direction?: 'down' | 'up' | 'both';
  /** tbf burst in bytes (default 32 KiB) */
  burstBytes?: number;
  /** tbf latency (queue limit) in ms (default 100) */
  latencyMs?: number;
}

export class Lab {
  readonly prefix: string;
  /** namespace names by role (`router` only in routed labs) */
  readonly namespaces: Readonly<Partial<Record<Role, string>>>;
  readonly links: readonly LinkInfo[];
  readonly addresses: LabAddresses;
  /** per-lab scratch directory (mode 755: vsftpd's unprivileged user must traverse it) */
  readonly tmpDir: string;
  private readonly processes = new Set<LabProcess>();
  private readonly teardowns: Array<() => Promise<void> | void> = [];
  private readonly downLinks = new Set<number>();
  private readonly shapedLinks = new Set<number>();
  private destroyed = false;
  private middleboxes: Middleboxes | undefined;

  constructor(readonly spec: LabSpec) {
    this.prefix = spec.prefix ?? nextLabPrefix();
    const roles: Role[] = spec.topology === 'direct' ? ['client', 'server'] : ['client', 'router', 'server'];
    this.namespaces = Object.fromEntries(roles.map((r) => [r, `${this.prefix}-${SHORT[r]}`]));
    this.links = planLinks(spec);
    this.addresses = planAddresses(spec, this.links);
    this.tmpDir = mkdtempSync(path.join(tmpdir(), `${this.prefix}-`));
    chmodSync(this.tmpDir, 0o755);
  }

  get ipv6(): boolean {
    return this.spec.ipv6 ?? true;
  }

  /** Resolves a role ('client' | 'router' | 'server') or a namespace name to the namespace name. */
  ns(ref: NamespaceRef): string {
    if (ref === 'client' || ref === 'router' || ref === 'server') {
      const name = this.namespaces[ref];
      if (!name) throw new Error(`lab: a ${this.spec.topology} lab has no ${ref}`);
      return name;
    }
    if (!Object.values(this.namespaces).includes(ref)) throw new Error(`lab: ${ref} is not a namespace of this lab`);
    return ref;
  }

  /** Runs argv in the namespace, collects stdout/stderr/exit code (timeout default 20 s). */
  exec(ns: NamespaceRef, argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return execIn(this.ns(ns), argv, options);
  }

  /** Starts a long-running program in the namespace; destroy() stops it if the test does not. */
  spawn(ns: NamespaceRef, argv: readonly string[], options?: SpawnOptions): LabProcess {
    this.assertAlive();
    const child = new LabProcess(this.ns(ns), [...argv], options);
    this.processes.add(child);
    return child;
  }

  /** spawn() for a server: resolves once `port` accepts connections, stops the process if it never does. */
  async spawnListening(ns: NamespaceRef, argv: readonly string[], port: number, timeoutMs = 5000): Promise<LabProcess> {
    const process = this.spawn(ns, argv);
    try {
      await process.waitForPort(port, timeoutMs);
    } catch (error) {
      await process.stop();
      throw error;
    }
    return process;
  }

  /** argv for node running our CLI as installed (package.json bin, dist/bin/main.js; `npm run build` first). */
  cliArgv(args: readonly string[]): string[] {
    return [process.execPath, cliEntry, ...args];
  }

  /** argv for node running a .ts (through tsx) or .js script; relative paths are from the package root. */
  scriptArgv(script: string, args: readonly string[] = []): string[] {
    const file = path.resolve(packageRoot, script);
    const loader = /\.[cm]?ts$/.test(file) ? ['--import', 'tsx'] : [];
    return [process.execPath, ...loader, file, ...args];
  }

  /**
   * Runs node in the namespace: a script when the first element ends in .ts/.js/.mjs/.cjs (TypeScript
   * through tsx), otherwise our CLI with these arguments. Runs with cwd = package root.
   */
  runNode(ns: NamespaceRef, scriptOrArgs: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.exec(ns, this.nodeArgv(scriptOrArgs), { cwd: packageRoot, ...options });
  }

  /** runNode for long-running scripts (servers): returns the managed process. */
  spawnNode(ns: NamespaceRef, scriptOrArgs: string | readonly string[], options: SpawnOptions = {}): LabProcess {
    return this.spawn(ns, this.nodeArgv(scriptOrArgs), { cwd: packageRoot, ...options });
  }

  private nodeArgv(scriptOrArgs: string | readonly string[]): string[] {
    const argv = typeof scriptOrArgs === 'string' ? [scriptOrArgs] : [...scriptOrArgs];
    if (argv.length > 0 && /\.[cm]?[jt]s$/.test(argv[0]!)) return this.scriptArgv(argv[0]!, argv.slice(1));
    return this.cliArgv(argv);
  }

  /** MPTcpExt counters (or another /proc/net/netstat group) of one namespace. */
  counters(ns: NamespaceRef, group = 'MPTcpExt'): Promise<Counters> {
    return snapshotCounters(this.ns(ns), group);
  }

  /** Counter changes (non-zero only) while fn ran, per namespace asked for. */
  async countersAround<T>(namespaces: NamespaceRef[], fn: () => Promise<T>): Promise<{ result: T; deltas: Record<string, Counters> }> {
    const before = await Promise.all(namespaces.map((n) => this.counters(n)));
    const result = await fn();
    const after = await Promise.all(namespaces.map((n) => this.counters(n)));
    const deltas: Record<string, Counters> = {};
    namespaces.forEach((n, i) => { deltas[n] = diffCounters(before[i]!, after[i]!); });
    return { result, deltas };
  }

  /** `sysctl -w` inside a namespace (`net.*` keys only: those are per namespace; never the host's). */
  async sysctl(ns: NamespaceRef, values: Record<string, string | number>): Promise<void> {
    const args = Object.entries(values).map(([k, v]) => {
      if (!k.startsWith('net.')) throw new Error(`lab: sysctl ${k} is not per network namespace`);
      return `${k}=${v}`;
    });
    if (args.length > 0) await this.exec(ns, ['sysctl', '-q', '-w', ...args], { check: true });
  }

  /** Pids of every process running in the namespace now (`ip netns pids`, asked from outside it). */
  pids(ns: NamespaceRef): number[] {
    return namespacePids(this.ns(ns));
  }

  /** Registers work for destroy() (run before processes are stopped, most recent first). */
  onDestroy(fn: () => Promise<void> | void): void {
    this.teardowns.push(fn);
  }

  /** Middlebox presets in the router namespace (routed labs only); each returns `{ remove() }`. */
  get middlebox(): Middleboxes {
    this.ns('router');
    this.middleboxes ??= new Middleboxes(this);
    return this.middleboxes;
  }

  link(index: number): LinkInfo {
    const link = this.links[index - 1];
    if (!link) throw new Error(`lab: no link ${index} (this lab has ${this.links.length})`);
    return link;
  }

  // ---- building ------------------------------------------------------------------------------

  /**
   * Creates namespaces, links, addresses, routes, MPTCP settings; warms paths up. The `ip` work
   * goes through `ip -n NS -batch -`, one process per step instead of one per command: a lab
   * builds in a few process spawns.
   */
  async build(): Promise<void> {
    registerForCleanup(this);
    const ns = this.namespaces;
    await Promise.all(Object.values(ns).map((name) => execIn(undefined, ['ip', 'netns', 'add', name!], { check: true })));
    await Promise.all(Object.entries(ns).map(([role, name]) => this.applySysctls(role as Role, name!)));
    const cli = this.ns('client');
    const routed = this.spec.topology === 'routed';
    const peer = routed ? this.ns('router') : this.ns('server');

    // 1. client: create every link (peer ends go straight into the peer namespace), address it.
    const client: string[][] = [['link', 'set', 'lo', 'up']];
    for (const link of this.links) {
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
    for (const link of this.links) middle.push(...addressCommands(link.peerIf, link.peer.v4, link.peer.v6, link.prefix4, link.prefix6));
    if (routed) {
      const router = this.addresses.router!.server;
      middle.push(['link', 'add', SERVER_LINK.routerIf, 'index', '30', 'type', 'veth',
        'peer', 'name', SERVER_LINK.serverIf, 'index', '31', 'netns', this.ns('server')]);
      middle.push(...addressCommands(SERVER_LINK.routerIf, router.v4, router.v6, SERVER_LINK.prefix4, SERVER_LINK.prefix6));
    } else {
      middle.push(this.limitsCommand());
    }
    await ipBatch(peer, middle);

    // 3. the server behind a router: address, default route, MPTCP limits.
    if (routed) {
      const router = this.addresses.router!.server;
      const server = this.addresses.server;
      await ipBatch(this.ns('server'), [
        ['link', 'set', 'lo', 'up'],
        ...addressCommands(SERVER_LINK.serverIf, server.v4, server.v6, SERVER_LINK.prefix4, SERVER_LINK.prefix6),
        ['-4', 'route', 'replace', 'default', 'via', router.v4],
        ...(router.v6 ? [['-6', 'route', 'replace', 'default', 'via', router.v6]] : []),
        this.limitsCommand(),
      ]);
    }

    // 4. client routing (now that gateways exist), limits and endpoints.
    const routing: string[][] = [];
    if (routed) for (const link of this.links) routing.push(...this.routingCommands(link, true));
    routing.push(this.limitsCommand());
    const flags = this.spec.endpointFlags ?? ['subflow'];
    if (flags !== false) {
      for (const link of this.links.slice(1)) {
        for (const address of [link.client.v4, link.client.v6]) {
          if (address) routing.push(['mptcp', 'endpoint', 'add', address, 'dev', link.clientIf, ...flags]);
        }
      }
    }
    await ipBatch(cli, routing);
    if (this.spec.warmUp ?? true) await this.warmUp();
  }

  private limitsCommand(): string[] {
    const subflows = String(this.spec.limits?.subflows ?? 2);
    const accepted = String(this.spec.limits?.addAddrAccepted ?? 2);
    return ['mptcp', 'limits', 'set', 'subflows', subflows, 'add_addr_accepted', accepted];
  }

  private async applySysctls(role: Role, name: string): Promise<void> {
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
      ...this.spec.sysctls?.[role],
    };
    const args = Object.entries(sysctls).map(([k, v]) => {
      if (!k.startsWith('net.')) throw new Error(`lab: sysctl ${k} is not per network namespace`);
      return `${k}=${v}`;
    });
    await execIn(name, ['sysctl', '-q', '-w', ...args], { check: true });
  }

  /** Default route via link 1 in the main table; per link: `ip rule from <addr> table 10x` + default in it. */
  private routingCommands(link: LinkInfo, addRules: boolean): string[][] {
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
  private async restoreLink(link: LinkInfo): Promise<void> {
    const cli = this.ns('client');
    await ipBatch(cli, addressCommands(link.clientIf, link.client.v4, link.client.v6, link.prefix4, link.prefix6));
    await ipBatch(this.ns(link.peerRole), addressCommands(link.peerIf, link.peer.v4, link.peer.v6, link.prefix4, link.prefix6));
    if (this.spec.topology === 'direct') return;
    await ipBatch(cli, this.routingCommands(link, false));
    for (const [family, source] of [['-4', link.client.v4], ['-6', link.client.v6]] as const) {
      if (!source) continue;
      const rules = await execIn(cli, ['ip', family, 'rule', 'show', 'from', source, 'table', String(link.table)], { check: true });
      if (rules.stdout.trim() === '') await execIn(cli, ['ip', family, 'rule', 'add', 'from', source, 'table', String(link.table)], { check: true });
    }
  }

  /** One ping per client address to the server, so neighbour entries exist before tests connect. */
  async warmUp(links: readonly LinkInfo[] = this.links): Promise<void> {
    const server = this.addresses.server;
    const pings: Array<Promise<ExecResult>> = [];
    for (const link of links) {
      if (this.downLinks.has(link.index)) continue;
      pings.push(this.exec('client', ['ping', '-c', '1', '-W', '2', '-q', '-I', link.client.v4, server.v4], { timeoutMs: 5000 }));
      if (link.client.v6 && server.v6) {
        pings.push(this.exec('client', ['ping', '-6', '-c', '1', '-W', '2', '-q', '-I', link.client.v6, server.v6], { timeoutMs: 5000 }));
      }
    }
    const failed = (await Promise.all(pings)).filter((r) => !r.ok);
    if (failed.length > 0) throw new Error(`lab: warm-up ping failed: ${failed.map((r) => r.argv.slice(4).join(' ')).join('; ')}`);
  }

  // ---- links -----------------------------------------------------------------------------------

  /** Takes link `index` down at both ends (the kernel then drops its routes). */
  async linkDown(index: number): Promise<void> {
    const link = this.link(index);
    await this.exec('client', ['ip', 'link', 'set', link.clientIf, 'down'], { check: true });
    await this.exec(link.peerRole, ['ip', 'link', 'set', link.peerIf, 'down'], { check: true });
    this.downLinks.add(index);
  }

  /** Brings link `index` up and restores what down removed (addresses, routes, rules), then pings it. */
  async linkUp(index: number): Promise<void> {
    const link = this.link(index);
    await this.restoreLink(link);
    this.downLinks.delete(index);
    // The veth reports carrier a moment after both ends are up; the ping also waits for that.
    const deadline = Date.now() + 3000;
    for (;;) {
      try {
        await this.warmUp([link]);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(50);
      }
    }
  }

  /** tbf on link `index` (router/peer egress for `down`, client egress for `up`). Replaces earlier shaping. */
  async shape(index: number, options: ShapeOptions): Promise<void> {
    const link = this.link(index);
    const direction = options.direction ?? 'both';
    const tbf = ['tbf', 'rate', `${options.rateMbit}mbit`, 'burst', String(options.burstBytes ?? 32 * 1024), 'latency', `${options.latencyMs ?? 100}ms`];
    if (direction !== 'up') await this.exec(link.peerRole, ['tc', 'qdisc', 'replace', 'dev', link.peerIf, 'root', ...tbf], { check: true });
    if (direction !== 'down') await this.exec('client', ['tc', 'qdisc', 'replace', 'dev', link.clientIf, 'root', ...tbf], { check: true });
    this.shapedLinks.add(index);
  }

  /** Removes shaping from link `index` (both ends). */
  async unshape(index: number): Promise<void> {
    const link = this.link(index);
    await this.exec(link.peerRole, ['tc', 'qdisc', 'del', 'dev', link.peerIf, 'root']);
    await this.exec('client', ['tc', 'qdisc', 'del', 'dev', link.clientIf, 'root']);
    this.shapedLinks.delete(index);
  }

  /**
   * Every link up and unshaped again, as built: what a test changed on the paths is undone after
   * it (useLab does this after each test, passed or failed), so the next test starts clean.
   */
  async restorePaths(): Promise<void> {
    if (this.destroyed) return;
    for (const index of [...this.downLinks]) await this.linkUp(index);
    for (const index of [...this.shapedLinks]) await this.unshape(index);
  }

  // ---- teardown --------------------------------------------------------------------------------

  /**
   * Stops every program the lab started (SIGTERM, then SIGKILL; waits until the pids are gone),
   * then anything else still running in its namespaces, deletes the namespaces and the temp dir.
   * Idempotent; safe after a failed build.
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const errors: unknown[] = [];
    for (const fn of this.teardowns.reverse()) {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    }
    const initial = Object.values(this.namespaces).flatMap((name) => namespacePids(name!));
    // Most recent first, one at a time, and every process's descendants before any process itself:
    // a server's sessions are then reaped by their own (still living) parents. Orphans would
    // become zombies of pid 1, which on this VM reaps them only every second or so.
    const started = [...this.processes].reverse();
    for (const p of started) await p.stopDescendants().catch((e: unknown) => { errors.push(e); });
    for (const p of started) await p.stop(1500).catch((e: unknown) => { errors.push(e); });
    // Whatever else runs in our namespaces (started by our programs, re-parented).
    const swept: number[] = [];
    for (const name of Object.values(this.namespaces)) {
      const pids = namespacePids(name!);
      swept.push(...pids);
      pids.forEach((pid) => signal(pid, 'SIGTERM'));
      const left = await waitGone(pids, 1000);
      left.forEach((pid) => signal(pid, 'SIGKILL'));
    }
    // Gone means gone from /proc, zombies included (bounded: pid 1 reaps orphans on its own time).
    const left = await waitGone([...new Set([...initial, ...swept])], 5000);
    const survivors = left.filter((pid) => !isZombie(pid));
    if (survivors.length > 0) errors.push(new Error(`lab: pids ${survivors.join(',')} survived SIGKILL`));
    for (const name of Object.values(this.namespaces)) {
      await execIn(undefined, ['ip', 'netns', 'delete', name!]);
    }
    rmSync(this.tmpDir, { recursive: true, force: true });
    unregisterForCleanup(this);
    if (errors.length > 0) throw errors[0];
  }

  /** Synchronous emergency version for exit/signal handlers. */
  destroySync(): void {
    this.destroyed = true;
    for (const p of this.processes) p.killNow();
    for (const name of Object.values(this.namespaces)) killAndDeleteSync(name!);
    rmSync(this.tmpDir, { recursive: true, force: true });
  }

  /**
   * Keeps the lab after this process exits (the lab CLI): no emergency cleanup on exit, and the
   * caller becomes responsible for removing it (the returned namespaces and directory).
   */
  detach(): { namespaces: string[]; tmpDir: string } {
    unregisterForCleanup(this);
    return { namespaces: Object.values(this.namespaces) as string[], tmpDir: this.tmpDir };
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  private assertAlive(): void {
    if (this.destroyed) throw new Error('lab: already destroyed');
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

/**
 * Builds a lab. If building fails, whatever was made is torn down before the error is rethrown.
 * Also removes namespaces left by earlier runs whose process died (names carry the creator pid).
 */
export async function createLab(spec: LabSpec): Promise<Lab> {
  sweepStaleNamespaces();
  const lab = new Lab(spec);
  try {
    await lab.build();
  } catch (error) {
    await lab.destroy().catch(() => undefined);
    throw error;
  }
  return lab;
}
