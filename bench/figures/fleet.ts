// The fleet audit of the three lab hosts (test/fleet/fleet-lab.ts: network namespaces, each with
// Debian's sshd): per host, what contrib/ansible's playbook runs there over SSH (check, a probe on
// the healthy host, the node_exporter textfile), timed from the controller; in a full run, the
// whole playbook once as well (deploying the single executable to every host).
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execIn } from '../../test/lab/index.js';
import { Fleet, type FleetHostSpec } from '../../test/fleet/fleet-lab.js';
import { hostPaths, runAuditPlaybook } from '../../test/fleet/playbook.js';
import { ensureSea } from '../../test/support/artifacts.js';
import { missingRequirement } from '../../test/support/gate.js';
import { alternate, type Contender } from '../lib/alternate.js';
import type { BenchContext, BenchGroup } from '../lib/context.js';
import { figure } from '../lib/figure.js';

const SERVE_PORT = 2121;
const HOSTS: FleetHostSpec[] = [
  { name: 'mptcp-off', sysctls: { 'net.mptcp.enabled': 0, 'net.mptcp.checksum_enabled': 1 } },
  { name: 'csum-off', sysctls: { 'net.mptcp.checksum_enabled': 0 } },
  { name: 'healthy', sysctls: { 'net.mptcp.checksum_enabled': 1 } },
];

/**
 * The playbook's commands on one host, as one shell script run over SSH: check (exit 1 = found a
 * problem, still a result), probe when a URL is given, then the textfile. The script's own CPU time
 * (every command it ran) goes to `cpu`, on the file system the hosts share with us.
 */
function auditScript(bin: string, state: string, textfile: string, cpu: string, probeUrl?: string): string {
  const steps = [
    `"${bin}" check --json --output "${state}/check.json"; c=$?; [ $c -le 1 ] || exit 10`,
    ...(probeUrl ? [`"${bin}" probe --json "${probeUrl}" > "${state}/probe.json"; p=$?; [ $p -le 1 ] || exit 11`] : []),
    `"${bin}" report --format prometheus --output "${textfile}/mptcp-doctor.prom" "${state}"; r=$?; [ $r -le 1 ] || exit 12`,
  ];
  const inner = steps.join('; ');
  return `/usr/bin/time -f '%U %S' -o '${cpu}' sh -c '${inner.replace(/'/g, `'\\''`)}'`;
}

function readCpuMs(file: string): number {
  try {
    const [user, sys] = readFileSync(file, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    return ((user ?? Number.NaN) + (sys ?? Number.NaN)) * 1000;
  } catch {
    return Number.NaN;
  }
}

export const fleetAudit: BenchGroup = {
  id: 'fleet',
  title: 'Fleet audit of the three lab hosts',
  async run(ctx: BenchContext) {
    const { config, log } = ctx;
    const skip = missingRequirement('fleet audit', 'tool:ssh', 'tool:ssh-keygen', 'file:/usr/sbin/sshd');
    if (skip) throw new Error(skip);
    const sea = await ensureSea();
    const fleet = new Fleet(HOSTS);
    const notes: string[] = [];
    try {
      await fleet.build();
      const ssh = ['ssh', '-F', '/dev/null', '-o', `UserKnownHostsFile=${fleet.knownHosts}`, '-o', 'StrictHostKeyChecking=yes',
        '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-i', fleet.clientKey];
      const paths = (name: string) => ({ ...hostPaths(fleet, name), cpu: join(fleet.host(name).root, 'cpu.txt') });
      // What the playbook's deploy step leaves on each host.
      for (const host of fleet.hosts) {
        const p = paths(host.name);
        for (const dir of [join(p.bin, '..'), p.state, p.textfile]) mkdirSync(dir, { recursive: true });
        copyFileSync(sea, p.bin);
        chmodSync(p.bin, 0o755);
      }
      const healthy = fleet.host('healthy');
      const serve = fleet.spawn(healthy.ns, [paths('healthy').bin, 'serve', '--listen', `127.0.0.1:${SERVE_PORT}`]);
      await serve.waitForPort(SERVE_PORT, 20_000);

      // The fleet's controller namespace stands in for the lab's: runs are made there.
      const runner = { exec: (_ns: string, argv: readonly string[], options?: Parameters<typeof execIn>[2]) => execIn(fleet.controller, argv, options), tmpDir: fleet.tmpDir };
      const cpuByHost: Record<string, number[]> = {};
      const contenders: Contender[] = fleet.hosts.map((host) => {
        const p = paths(host.name);
        const url = host.name === 'healthy' ? `ftp://127.0.0.1:${SERVE_PORT}/` : undefined;
        cpuByHost[host.name] = [];
        return {
          name: host.name,
          argv: () => [...ssh, `root@${host.address}`, auditScript(p.bin, p.state, p.textfile, p.cpu, url)],
          before: () => writeFileSync(p.cpu, ''),
          after: (round) => {
            cpuByHost[host.name]![round] = readCpuMs(p.cpu);
          },
        };
      });
      const results = await alternate(runner, 'controller', contenders, config.startupRuns, { timeoutMs: 120_000, log });
      const ms = (name: string) => results[name]!.runs.map((r) => r?.wallMs ?? Number.NaN);
      const figures = fleet.hosts.flatMap((host) => [
        figure(`fleet.${host.name}`, `audit of host ${host.name} over SSH (wall time)${host.name === 'healthy' ? ', probe included' : ''}`, 'ms', ms(host.name)),
        figure(`fleet.${host.name}-cpu`, `audit of host ${host.name}: CPU time of the commands on the host`, 'ms', cpuByHost[host.name]!),
      ]);

      // The whole playbook once (full runs only: it copies an 80+ MiB executable to every host).
      if (!config.smoke && !missingRequirement('ansible', 'tool:ansible-playbook')) {
        const playbookMs = await runPlaybook(fleet, sea, log);
        if (playbookMs !== undefined) figures.push(figure('fleet.playbook', 'ansible-playbook audit.yml, all three hosts at once (deploy included)', 'ms', [playbookMs]));
        else notes.push('ansible-playbook failed: see the log of the run');
      } else {
        notes.push(config.smoke ? 'the Ansible playbook itself runs in full runs only' : 'ansible-playbook is not installed: per-host audits only');
      }
      return {
        method: 'Three hosts made of network namespaces (test/fleet/fleet-lab.ts), each with Debian\'s sshd and key authentication: ' +
          '`mptcp-off` (net.mptcp.enabled=0), `csum-off` (checksums off), `healthy` (an mptcp-doctor serve on its loopback). The single ' +
          'executable is copied to each host as the playbook deploys it; then, per host, one SSH session from the controller runs the ' +
          'playbook\'s commands: `check --json --output`, `probe --json` on the healthy host, and `report --format prometheus --output` ' +
          `(the textfile). Hosts alternated for ${config.startupRuns} rounds; wall time of the SSH session (login included), CPU time of ` +
          'the commands on the host (GNU time around them). In full runs, `ansible-playbook contrib/ansible/audit.yml` once over the ' +
          'three hosts (forks 3, pipelining, deploy included).',
        figures,
        failures: Object.values(results).flatMap((r) => r.failures),
        notes,
        raw: { runs: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.runs.map((r) => (r ? { wallMs: r.wallMs, load: r.load } : null))])), cpuByHost },
      };
    } finally {
      await fleet.destroy();
    }
  },
};

/** One run of the real playbook over the fleet; its wall time, or undefined when it failed. */
async function runPlaybook(fleet: Fleet, sea: string, log: (line: string) => void): Promise<number | undefined> {
  const started = performance.now();
  const { result } = await runAuditPlaybook(fleet, {
    executable: sea, fetchDir: join(fleet.tmpDir, 'fetched'), probe: { host: 'healthy', url: `ftp://127.0.0.1:${SERVE_PORT}/` },
  });
  const ms = performance.now() - started;
  log(`  ansible-playbook: exit ${result.exitCode} in ${(ms / 1000).toFixed(1)} s`);
  if (result.exitCode !== 0) {
    log(result.stdout.split('\n').slice(-20).join('\n'));
    return undefined;
  }
  return ms;
}
