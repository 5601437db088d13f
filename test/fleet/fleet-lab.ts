// A fleet of hosts made of network namespaces, each running Debian's sshd on its own address with
// key authentication, and a controller namespace linked to every host (a veth pair each):
//
//   controller [c<i> 10.90.<i>.1] ---- [eth0 10.90.<i>.2] host i   (sshd on :22)
//
// The hosts share this machine's file system: whatever a host should own (its installed
// executable, its results, its textfile directory) lives under its own directory, `root`.
// Namespace names follow the lab's (md<pid36>_<n>-...), so a dead run's fleet is swept like a lab.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerForCleanup, unregisterForCleanup } from '../lab/cleanup.js';
import { execIn, type ExecOptions, type ExecResult } from '../lab/exec.js';
import { nextLabPrefix } from '../lab/names.js';
import { isZombie, LabProcess, signal, waitGone } from '../lab/process.js';
import { killAndDeleteSync, namespacePids } from '../lab/sweep.js';

export interface FleetHost {
  /** The inventory name. */
  name: string;
  ns: string;
  address: string;
  /** The host's own directory (its "file system" for what the playbook installs and writes). */
  root: string;
  /** `net.*` sysctls set inside its namespace. */
  sysctls: Record<string, string | number>;
}

export interface FleetHostSpec {
  name: string;
  sysctls?: Record<string, string | number>;
}

export class Fleet {
  readonly prefix = nextLabPrefix();
  readonly controller = `${this.prefix}-ctl`;
  readonly tmpDir: string;
  readonly hosts: FleetHost[];
  /** The controller's SSH key pair (private key path; `.pub` beside it). */
  readonly clientKey: string;
  /** known_hosts with every host's key: host keys are checked, as they should be. */
  readonly knownHosts: string;
  private readonly processes: LabProcess[] = [];
  private destroyed = false;

  constructor(specs: readonly FleetHostSpec[]) {
    this.tmpDir = mkdtempSync(join(tmpdir(), `${this.prefix}-fleet-`));
    chmodSync(this.tmpDir, 0o755);
    this.hosts = specs.map((spec, index) => ({
      name: spec.name,
      ns: `${this.prefix}-h${index + 1}`,
      address: `10.90.${index + 1}.2`,
      root: join(this.tmpDir, 'hosts', spec.name),
      sysctls: spec.sysctls ?? {},
    }));
    this.clientKey = join(this.tmpDir, 'id_ed25519');
    this.knownHosts = join(this.tmpDir, 'known_hosts');
  }

  host(name: string): FleetHost {
    const host = this.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`fleet: no host ${name}`);
    return host;
  }

  exec(ns: string, argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return execIn(ns, argv, options);
  }

  spawn(ns: string, argv: readonly string[]): LabProcess {
    const child = new LabProcess(ns, [...argv]);
    this.processes.push(child);
    return child;
  }

  async build(): Promise<void> {
    registerForCleanup(this);
    for (const ns of [this.controller, ...this.hosts.map((h) => h.ns)]) await execIn(undefined, ['ip', 'netns', 'add', ns], { check: true });
    const controller: string[] = ['link set lo up'];
    this.hosts.forEach((host, index) => {
      const i = index + 1;
      // Distinct ifindexes at the two ends: a veth whose peer has the same index gets its carrier
      // event deferred (the lab's topology notes this too).
      controller.push(`link add c${i} index ${10 + i} type veth peer name eth0 index ${20 + i} netns ${host.ns}`);
      controller.push(`address add 10.90.${i}.1/24 dev c${i}`, `link set c${i} up`);
    });
    await execIn(this.controller, ['ip', '-batch', '-'], { input: `${controller.join('\n')}\n`, check: true });
    for (const host of this.hosts) {
      mkdirSync(host.root, { recursive: true });
      await execIn(host.ns, ['ip', '-batch', '-'], {
        input: ['link set lo up', `address add ${host.address}/24 dev eth0`, 'link set eth0 up', `mptcp endpoint add ${host.address} dev eth0 signal`, ''].join('\n'),
        check: true,
      });
      const sysctls = Object.entries(host.sysctls).map(([k, v]) => {
        if (!k.startsWith('net.')) throw new Error(`fleet: sysctl ${k} is not per network namespace`);
        return `${k}=${v}`;
      });
      if (sysctls.length > 0) await execIn(host.ns, ['sysctl', '-q', '-w', ...sysctls], { check: true });
    }
    await this.startSshd();
    for (const host of this.hosts) {
      await execIn(this.controller, ['ping', '-c', '1', '-W', '2', '-q', host.address], { check: true, timeoutMs: 5000 });
    }
  }

  /** sshd in every host namespace on its own address, root login by key only, host keys recorded. */
  private async startSshd(): Promise<void> {
    await execIn(undefined, ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'fleet-controller', '-f', this.clientKey], { check: true });
    const authorized = join(this.tmpDir, 'authorized_keys');
    writeFileSync(authorized, readFileSync(`${this.clientKey}.pub`), { mode: 0o600 });
    // sshd's privilege separation directory (made at boot by the openssh-server service, which
    // is not running here).
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const known: string[] = [];
    for (const host of this.hosts) {
      const dir = join(this.tmpDir, 'sshd', host.name);
      mkdirSync(dir, { recursive: true });
      const key = join(dir, 'ssh_host_ed25519_key');
      await execIn(undefined, ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', host.name, '-f', key], { check: true });
      known.push(`${host.address} ${readFileSync(`${key}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')}`);
      const config = join(dir, 'sshd_config');
      writeFileSync(config, [
        `ListenAddress ${host.address}:22`,
        `HostKey ${key}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorized}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        // The key files live in the test's scratch directory, not in a home directory sshd vets.
        'StrictModes no',
        'Subsystem sftp internal-sftp',
        'LogLevel ERROR',
        '',
      ].join('\n'));
      // An absolute path: sshd re-executes itself for each connection.
      const sshd = this.spawn(host.ns, ['/usr/sbin/sshd', '-D', '-e', '-f', config]);
      await sshd.waitForPort(22, 10_000);
    }
    writeFileSync(this.knownHosts, `${known.join('\n')}\n`);
  }

  /** Stops what the fleet started (and anything left in its namespaces), deletes them and the scratch dir. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const errors: unknown[] = [];
    const namespaces = [this.controller, ...this.hosts.map((h) => h.ns)];
    for (const p of [...this.processes].reverse()) await p.stop(1500).catch((e: unknown) => { errors.push(e); });
    // ssh's connection masters (ControlPersist) and sessions re-parented away from sshd.
    const swept = namespaces.flatMap((ns) => namespacePids(ns));
    swept.forEach((pid) => signal(pid, 'SIGTERM'));
    const left = await waitGone(swept, 1000);
    left.forEach((pid) => signal(pid, 'SIGKILL'));
    const survivors = (await waitGone(left, 5000)).filter((pid) => !isZombie(pid));
    if (survivors.length > 0) errors.push(new Error(`fleet: pids ${survivors.join(',')} survived SIGKILL`));
    for (const ns of namespaces) await execIn(undefined, ['ip', 'netns', 'delete', ns]);
    rmSync(this.tmpDir, { recursive: true, force: true });
    unregisterForCleanup(this);
    if (errors.length > 0) throw errors[0];
  }

  destroySync(): void {
    this.destroyed = true;
    for (const p of this.processes) p.killNow();
    for (const ns of [this.controller, ...this.hosts.map((h) => h.ns)]) killAndDeleteSync(ns);
    rmSync(this.tmpDir, { recursive: true, force: true });
  }
}
