// Start-up of the two ways the CLI ships: the single executable (scripts/sea.mjs: Node and the
// bundle in one file, the addon written to a private temp file at start) against the npm package
// installed from its tarball (`npm install -g` into a scratch prefix, as a sysadmin would).
// Both are built once, the way the install tests build them (test/support/artifacts.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { ensureSea, packTarball } from '../../test/support/artifacts.js';
import { alternate, commonRounds, type Contender } from '../lib/alternate.js';
import type { BenchContext, BenchGroup } from '../lib/context.js';
import { figure, figureOf } from '../lib/figure.js';
import { pairedRatios } from '../lib/stats.js';

/** Installs the packed tarball into `prefix` without the network (its two dependencies are bundled). */
async function npmInstall(tarball: string, prefix: string, work: string): Promise<string> {
  const r = await execa('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--allow-scripts=mptcp-doctor', tarball], {
    env: { HOME: path.join(work, 'home'), npm_config_cache: path.join(work, 'cache') },
    timeout: 180_000,
    reject: false,
    all: true,
  });
  if (r.exitCode !== 0) throw new Error(`npm install of ${tarball} failed: ${r.all?.split('\n').slice(-5).join(' | ')}`);
  return path.join(prefix, 'bin', 'mptcp-doctor');
}

export const startup: BenchGroup = {
  id: 'startup',
  title: 'Start-up: single executable against the npm install',
  async run(ctx: BenchContext) {
    const { lab, config, log } = ctx;
    // Not on tmpfs: the scratch prefix is an ordinary install, and the executable is 80+ MiB.
    const work = mkdtempSync(path.join(os.tmpdir() === '/dev/shm' ? '/tmp' : os.tmpdir(), 'mptcp-bench-install-'));
    try {
      let started = performance.now();
      const sea = await ensureSea();
      const seaBuildMs = performance.now() - started;
      started = performance.now();
      const installed = await npmInstall(await packTarball(work), path.join(work, 'prefix'), work);
      const installMs = performance.now() - started;
      log(`  single executable ready in ${(seaBuildMs / 1000).toFixed(1)} s (built when stale), npm pack + install in ${(installMs / 1000).toFixed(1)} s`);

      const node: Contender = { name: 'node -e 0', argv: () => [process.execPath, '-e', '0'] };
      const version = (name: string, bin: string): Contender => ({ name: `${name} --version`, argv: () => [bin, '--version'] });
      // The lightest command that needs the addon: the executable has to write it out and load it.
      const socket = (name: string, bin: string): Contender => ({
        name: `${name} check socket.mptcp`,
        argv: () => [bin, 'check', '--only', 'socket.mptcp', '--json'],
        acceptExit: [0, 1],
      });
      const results = await alternate(lab, 'server', [
        node, version('npm', installed), version('sea', sea), socket('npm', installed), socket('sea', sea),
      ], config.startupRuns, { timeoutMs: 60_000, log });
      const ms = (name: string) => results[name]!.runs.map((r) => r?.wallMs ?? Number.NaN);
      const cpu = (name: string) => results[name]!.runs.map((r) => r?.cpuMs ?? Number.NaN);
      const rss = (name: string) => results[name]!.runs.map((r) => (r?.peakRssBytes ?? Number.NaN) / 2 ** 20);
      const ratio = (a: string, b: string, of: (name: string) => number[]) => {
        const rounds = commonRounds(results, [a, b]);
        return pairedRatios(rounds.map((i) => of(a)[i]!), rounds.map((i) => of(b)[i]!));
      };
      return {
        method: `The single executable (\`npm run sea\`'s dist/mptcp-doctor-linux-${os.arch()}, built once like the install tests do) and the ` +
          `npm package (\`npm pack\`, then \`npm install -g --offline\` of the tarball into a scratch prefix), both run in the lab's ` +
          `namespace, alternated with \`node -e 0\` for ${config.startupRuns} rounds: \`--version\` (start-up alone) and ` +
          `\`check --only socket.mptcp --json\` (the lightest command that loads the native addon, which the executable first writes ` +
          `to a private file under TMPDIR). Wall time, CPU time (user + sys) and peak RSS from GNU time.`,
        figures: [
          figure('startup.node', 'node -e 0', 'ms', ms('node -e 0')),
          figure('startup.npm-version', 'npm install: --version', 'ms', ms('npm --version')),
          figure('startup.sea-version', 'single executable: --version', 'ms', ms('sea --version')),
          figureOf('startup.sea-vs-npm-version', 'single executable / npm install, --version (wall time)', 'x', ratio('sea --version', 'npm --version', ms)),
          figureOf('startup.sea-vs-npm-version-cpu', 'single executable / npm install, --version (CPU time)', 'x', ratio('sea --version', 'npm --version', cpu)),
          figure('startup.npm-socket', 'npm install: check --only socket.mptcp', 'ms', ms('npm check socket.mptcp')),
          figure('startup.sea-socket', 'single executable: check --only socket.mptcp', 'ms', ms('sea check socket.mptcp')),
          figureOf('startup.sea-vs-npm-socket', 'single executable / npm install, check --only socket.mptcp (wall time)', 'x', ratio('sea check socket.mptcp', 'npm check socket.mptcp', ms)),
          figure('memory.sea-version', 'peak RSS of the single executable, --version', 'MiB', rss('sea --version')),
          figure('memory.npm-version', 'peak RSS of the npm install, --version', 'MiB', rss('npm --version')),
        ],
        failures: Object.values(results).flatMap((r) => r.failures),
        notes: [`single executable ready in ${(seaBuildMs / 1000).toFixed(1)} s (rebuilt only when dist/bin or the prebuilt addon changed); npm pack + install ${(installMs / 1000).toFixed(1)} s`],
        raw: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.runs.map((r) => (r ? { wallMs: r.wallMs, cpuMs: r.cpuMs, peakRssBytes: r.peakRssBytes, load: r.load } : null))])),
      };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
