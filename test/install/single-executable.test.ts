// The single executable (npm run sea) on a host without Node: a fresh network namespace, a PATH
// holding only the executable and `ip`, a private TMPDIR. It runs every command: check (self-test
// passing), serve, a probe against that serve in which MPTCP holds, and the rest; its embedded addon
// leaves nothing behind in TMPDIR, not even while a command runs.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabProcess } from '../lab/index.js';
import { ensureSea } from '../support/artifacts.js';
import { packageRoot } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { createNetns, type Netns } from '../support/netns.js';

const skip = missingRequirement('single executable', 'root', 'netns', 'tool:ip', 'tool:strip');
const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
const PORT = 2121;
const SERVER = `ftp://127.0.0.1:${PORT}/`;

describe.skipIf(skip)('single executable', () => {
  let work: string;
  let bin: string;
  let temp: string;
  let ns: Netns;
  let serve: LabProcess | undefined;

  beforeAll(async () => {
    const sea = await ensureSea();
    work = mkdtempSync(join(tmpdir(), 'mptcp-doctor-sea-'));
    bin = join(work, 'bin');
    temp = join(work, 'tmp');
    mkdirSync(bin);
    mkdirSync(temp);
    symlinkSync(sea, join(bin, 'mptcp-doctor'));
    const ip = (await execa('sh', ['-c', 'command -v ip'])).stdout.trim();
    symlinkSync(ip, join(bin, 'ip'));
    ns = await createNetns('sea');
  }, 300_000);

  afterAll(async () => {
    await serve?.stop();
    await ns?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The executable in the namespace, with nothing of this machine's environment. */
  function run(args: string[], timeoutMs = 60_000) {
    // From a directory without a package.json: nothing may be read from beside the working directory.
    return ns.exec(['env', '-i', `--chdir=${work}`, `PATH=${bin}`, `TMPDIR=${temp}`, 'NO_COLOR=1', 'mptcp-doctor', ...args], { reject: false, timeoutMs });
  }

  it('has no node to lean on', async () => {
    const found = await ns.exec(['env', '-i', `PATH=${bin}`, '/bin/sh', '-c', 'command -v node nodejs npm'], { reject: false });
    expect(found.stdout).toBe('');
    expect(found.exitCode).not.toBe(0);
  });

  it('check: the addon loads from the executable and the self-test passes', async () => {
    const check = await run(['check', '--json']);
    expect([0, 1], check.stderr).toContain(check.exitCode);
    const results = (JSON.parse(check.stdout) as { checks: Array<{ id: string; status: string; summary: string }> }).checks;
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    expect(byId['socket.mptcp']!.status).toBe('pass');
    expect(byId['selftest.loopback']!.status, byId['selftest.loopback']!.summary).toBe('pass');
    expect(readdirSync(temp)).toEqual([]);
  });

  it('serve, and a probe against it in which MPTCP holds on every connection', async () => {
    serve = new LabProcess(ns.name, ['env', '-i', `PATH=${bin}`, `TMPDIR=${temp}`, 'mptcp-doctor', 'serve', '--listen', `127.0.0.1:${PORT}`]);
    await serve.waitForPort(PORT, 20_000);
    // The server holds its addon without a file: loaded, then removed at once.
    expect(readdirSync(temp)).toEqual([]);
    const probe = await run(['probe', '--json', SERVER]);
    expect(probe.exitCode, probe.stderr).toBe(0);
    const result = JSON.parse(probe.stdout) as { verdict: { status: string }; connections: Array<{ status: string }>; transfer: { matched: boolean | null } };
    expect(result.verdict.status).toBe('held');
    expect(result.connections.length).toBeGreaterThanOrEqual(3);
    expect(result.connections.every((c) => c.status === 'held')).toBe(true);
    expect(result.transfer.matched).toBe(true);
  });

  it('every other command runs: connect, get, put, fix --dry-run, report, completion, --help', async () => {
    const connect = await run(['connect', `127.0.0.1:${PORT}`, '--json']);
    expect(connect.exitCode, connect.stderr).toBe(0);
    const got = join(work, 'got.bin');
    const get = await run(['get', `${SERVER}probe/256K`, got]);
    expect(get.exitCode, get.stderr).toBe(0);
    expect(readFileSync(got).length).toBe(256 * 1024);
    const upload = join(work, 'upload.bin');
    writeFileSync(upload, Buffer.alloc(64 * 1024, 7));
    const put = await run(['put', upload, `${SERVER}upload/file.bin`]);
    expect(put.exitCode, put.stderr).toBe(0);
    const fix = await run(['fix', '--dry-run', '--json']);
    expect(fix.exitCode, fix.stderr).toBe(0);
    expect(JSON.parse(fix.stdout)).toMatchObject({ schema: 'mptcp-doctor/fix/v1', dryRun: true });
    const results = join(work, 'results', 'this-host');
    mkdirSync(results, { recursive: true });
    writeFileSync(join(results, 'check.json'), (await run(['check', '--json'])).stdout);
    const report = await run(['report', join(work, 'results')]);
    expect(report.stdout).toMatch(/this-host/);
    expect([0, 1]).toContain(report.exitCode);
    const completion = await run(['completion']);
    expect(completion.stdout).toContain('complete -o bashdefault -o default -F _mptcp-doctor_yargs_completions mptcp-doctor');
    const help = await run(['--help']);
    expect(help.stdout).toContain('report');
    expect(readdirSync(temp)).toEqual([]);
  });

  it('conns and watch: sock_diag and the MPTCP event group through the embedded addon', async () => {
    const conns = await run(['conns', '--json']);
    expect(conns.exitCode, conns.stderr).toBe(0);
    const listing = JSON.parse(conns.stdout) as { listeners: Array<{ id: string; processes: Array<{ command: string }> }> };
    expect(listing.listeners.find((l) => l.id === `mptcp 127.0.0.1:${PORT}`)?.processes.map((p) => p.command)).toContain('mptcp-doctor');
    const watch = new LabProcess(ns.name, ['env', '-i', `PATH=${bin}`, `TMPDIR=${temp}`, 'mptcp-doctor', 'watch', '--json', '--verbose', '--interval', '0', '--count', '2', '--duration', '30']);
    try {
      await watch.waitForOutput('watching MPTCP events', 20_000);
      const connect = await run(['connect', `127.0.0.1:${PORT}`, '--json']);
      expect(connect.exitCode, connect.stderr).toBe(0);
      const ended = await watch.wait(20_000);
      expect(ended.exitCode, ended.stderr).toBe(0);
      const events = ended.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; event?: { type: string } }).filter((l) => l.type === 'event');
      expect(events).toHaveLength(2);
      expect(events[0]!.event!.type).toBe('created');
    } finally {
      await watch.stop();
    }
    expect(readdirSync(temp)).toEqual([]);
  });

  it('--version prints the package version', async () => {
    const shown = await run(['--version']);
    expect(shown.stdout.trim()).toBe(version);
  });

  it('a noexec TMPDIR (a common hardening) is named as the reason, with the way out; nothing left in it', async () => {
    const noexec = join(work, 'noexec');
    mkdirSync(noexec);
    // A private mount namespace: the mount exists for this one command only, so what the command
    // left in it is listed from inside, after it ran.
    const script = 'mount -t tmpfs -o noexec,mode=1777 tmpfs "$1" && dir=$1 && shift && "$@"; code=$?; ls -A "$dir"; exit $code';
    const result = await ns.exec(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', noexec,
      'env', '-i', `PATH=${bin}`, `TMPDIR=${noexec}`, 'mptcp-doctor', 'connect', `127.0.0.1:${PORT}`], { reject: false });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`native addon not loadable from the executable via TMPDIR ${noexec}: .*failed to map segment.*set TMPDIR to a directory that allows executables`));
    expect(result.stdout).toBe('');
  });

  it('MPTCP_DOCTOR_ADDON still points it at another build', async () => {
    const check = await ns.exec(['env', '-i', `PATH=${bin}`, `MPTCP_DOCTOR_ADDON=${join(work, 'missing.node')}`, 'mptcp-doctor', 'check', '--only', 'socket.mptcp', '--json'], { reject: false });
    const [result] = (JSON.parse(check.stdout) as { checks: Array<{ status: string; summary: string }> }).checks;
    expect(result!.status).toBe('error');
    expect(result!.summary).toContain(`native addon not loadable (${join(work, 'missing.node')})`);
    expect(existsSync(join(work, 'missing.node'))).toBe(false);
  });
});
