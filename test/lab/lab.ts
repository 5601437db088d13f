// A lab: network namespaces joined by veth pairs, the programs started inside them, the state of
// its paths (links down, shaping), and taking it all down again. Building the network is in
// lab-network.ts (topology.ts has the address plan), stopping what runs in it in lab-teardown.ts.
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
import { buildNetwork, restoreLink } from './lab-network.js';
import { stopEverything } from './lab-teardown.js';
import { LabProcess, type SpawnOptions } from './process.js';
import { killAndDeleteSync, namespacePids, sweepStaleNamespaces } from './sweep.js';
import { planAddresses, planLinks, type LabAddresses, type LabSpec, type LinkInfo, type Role } from './topology.js';

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

  /** Creates namespaces, links, addresses, routes and MPTCP settings (lab-network.ts); warms paths up. */
  async build(): Promise<void> {
    registerForCleanup(this);
    await buildNetwork(this);
    if (this.spec.warmUp ?? true) await this.warmUp();
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
    await restoreLink(this, link);
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
    errors.push(...(await stopEverything([...this.processes], Object.values(this.namespaces) as string[])));
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
