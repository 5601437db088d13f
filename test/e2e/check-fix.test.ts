// check and fix end to end: the compiled CLI inside throwaway network namespaces, against real
// net.mptcp sysctls, real `ip` endpoints and rules, as root and as an unprivileged user.
import { checkIds } from '../../checks/registry.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingRequirement } from '../support/gate.js';
import { createCheckNamespace, readMptcpSysctls, requireCli, type CheckNamespace, type CommandResult } from './support/check-netns.js';

interface CheckJsonLike {
  schema: string;
  checks: Array<{ id: string; status: string; summary: string; evidence: string[]; fix?: { advice: string; commands: string[][]; sysctls?: Array<{ key: string; value: string }> } }>;
  summary: { total: number; pass: number; warn: number; fail: number; skip: number; error: number; ok: boolean };
}

function parseCheck(result: CommandResult): CheckJsonLike {
  try {
    return JSON.parse(result.stdout) as CheckJsonLike;
  } catch {
    throw new Error(`not JSON (exit ${result.exitCode}): ${result.stdout.slice(0, 300)} ${result.stderr.slice(0, 300)}`);
  }
}

function byId(json: CheckJsonLike, id: string) {
  const check = json.checks.find((c) => c.id === id);
  if (!check) throw new Error(`no check ${id} in ${json.checks.map((c) => c.id).join(', ')}`);
  return check;
}

const skip = missingRequirement('check/fix e2e', 'root', 'netns', 'tool:ip', 'tool:sysctl', 'tool:unshare', 'tool:mount', 'tool:script');

describe.skipIf(skip)('check and fix in network namespaces', () => {
  const namespaces: CheckNamespace[] = [];
  let hostBefore: Record<string, string>;
  let hostEndpointsBefore: string;
  let tmp: string;

  async function namespace(label: string): Promise<CheckNamespace> {
    const ns = await createCheckNamespace(label);
    namespaces.push(ns);
    return ns;
  }

  beforeAll(async () => {
    requireCli();
    hostBefore = await readMptcpSysctls();
    hostEndpointsBefore = String((await execa('ip', ['mptcp', 'endpoint', 'show'])).stdout);
    tmp = await mkdtemp(join(tmpdir(), 'mptcp-doctor-check-'));
  });

  afterAll(async () => {
    for (const ns of namespaces) await ns.destroy();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('enabled=0: sysctl.enabled fails with exit 1; fix --yes sets it (and persists) and check then passes it', async () => {
    const ns = await namespace('enabled');
    expect((await ns.exec(['sysctl', '-w', 'net.mptcp.enabled=0'])).exitCode).toBe(0);

    const before = await ns.cli(['check', '--json']);
    expect(before.exitCode).toBe(1);
    const json = parseCheck(before);
    expect(json.schema).toBe('mptcp-doctor/check/v1');
    expect(byId(json, 'sysctl.enabled').status).toBe('fail');
    expect(byId(json, 'sysctl.enabled').fix?.commands).toEqual([['sysctl', '-w', 'net.mptcp.enabled=1']]);
    expect(byId(json, 'socket.mptcp').status).toBe('fail');
    expect(byId(json, 'socket.mptcp').summary).toContain('disabled');
    expect(byId(json, 'selftest.loopback').status).toBe('skip');
    expect(json.summary.ok).toBe(false);

    const dropin = join(tmp, '90-mptcp-doctor.conf');
    const fix = await ns.cli(['fix', '--yes', '--persist', '--persist-file', dropin]);
    expect(fix.stderr).toBe('');
    expect(fix.stdout).toContain('net.mptcp.enabled');
    expect(fix.stdout).toMatch(/sysctl\.enabled\s+FAIL\s+->\s+PASS/);
    expect(fix.exitCode).toBe(0);
    expect(await ns.sysctl('net.mptcp.enabled')).toBe('1');
    expect(await readFile(dropin, 'utf8')).toMatch(/^net\.mptcp\.enabled = 1$/m);

    const after = parseCheck(await ns.cli(['check', '--json']));
    expect(byId(after, 'sysctl.enabled').status).toBe('pass');
    expect(byId(after, 'socket.mptcp').status).toBe('pass');
    expect(byId(after, 'selftest.loopback').status).toBe('pass');
    expect(after.summary.ok).toBe(true);
  });

  it('fix --dry-run --persist-file shows the drop-in it would write, writes nothing; --persist-file alone persists', async () => {
    const ns = await namespace('dropin');
    expect((await ns.exec(['sysctl', '-w', 'net.mptcp.checksum_enabled=0'])).exitCode).toBe(0);
    const dropin = join(tmp, '91-dry-run.conf');
    const dry = await ns.cli(['fix', '--dry-run', '--persist-file', dropin, '--only', 'sysctl.checksum']);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain(`Would write ${dropin}:`);
    expect(dry.stdout).toMatch(/^\s+net\.mptcp\.checksum_enabled = 1$/m);
    await expect(readFile(dropin, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await ns.sysctl('net.mptcp.checksum_enabled')).toBe('0');
    const json = JSON.parse((await ns.cli(['fix', '--dry-run', '--persist', '--persist-file', dropin, '--only', 'sysctl.checksum', '--json'])).stdout);
    expect(json.dropin).toMatchObject({ path: dropin });
    expect(json.dropin.text).toContain('net.mptcp.checksum_enabled = 1');
    // --persist-file names where to persist, so it persists without --persist.
    const applied = await ns.cli(['fix', '--yes', '--persist-file', dropin, '--only', 'sysctl.checksum']);
    expect(applied.exitCode).toBe(0);
    expect(await readFile(dropin, 'utf8')).toMatch(/^net\.mptcp\.checksum_enabled = 1$/m);
  });

  it('checksum_enabled=0 warns; no endpoints warns with a suggestion naming the namespace address', async () => {
    const ns = await namespace('fresh');
    expect((await ns.exec(['sysctl', '-w', 'net.mptcp.checksum_enabled=0'])).exitCode).toBe(0);
    const result = await ns.cli(['check', '--json']);
    expect(result.exitCode).toBe(0); // warnings only
    const json = parseCheck(result);
    expect(byId(json, 'sysctl.checksum').status).toBe('warn');
    const endpoints = byId(json, 'endpoints');
    expect(endpoints.status).toBe('warn');
    expect(endpoints.fix?.commands).toContainEqual(['ip', 'mptcp', 'endpoint', 'add', '192.0.2.1', 'dev', 'v0', 'subflow']);
    expect(endpoints.fix?.commands).toContainEqual(['ip', 'mptcp', 'endpoint', 'add', '198.51.100.1', 'dev', 'v1', 'subflow']);
    expect(byId(json, 'kernel.mptcp').status).toBe('pass');
    expect(byId(json, 'selftest.loopback').status).toBe('pass');
    expect(json.summary.error).toBe(0);
  });

  it('an endpoint without a source route warns; running the suggested commands fixes it', async () => {
    const ns = await namespace('routing');
    expect((await ns.exec(['ip', 'mptcp', 'endpoint', 'add', '198.51.100.1', 'dev', 'v1', 'subflow'])).exitCode).toBe(0);
    const before = parseCheck(await ns.cli(['check', '--json', '--only', 'endpoints,endpoints.routing']));
    expect(before.checks.map((c) => c.id)).toEqual(['endpoints', 'endpoints.routing']);
    expect(byId(before, 'endpoints').status).toBe('pass');
    const routing = byId(before, 'endpoints.routing');
    expect(routing.status).toBe('warn');
    expect(routing.summary).toContain('198.51.100.1');
    expect(routing.evidence.join('\n')).toContain('default route (dev v0)');
    expect(routing.fix?.commands).toEqual([
      ['ip', 'rule', 'add', 'from', '198.51.100.1', 'table', '101'],
      ['ip', 'route', 'add', 'default', 'dev', 'v1', 'table', '101'],
    ]);
    for (const command of routing.fix!.commands) {
      const result = await ns.exec(command);
      expect(result.stderr).toBe('');
    }
    const after = parseCheck(await ns.cli(['check', '--json', '--only', 'endpoints.routing']));
    expect(byId(after, 'endpoints.routing').status).toBe('pass');
    expect(byId(after, 'endpoints.routing').evidence[0]).toContain('lookup 101');
  });

  it('strict rp_filter on an endpoint interface warns; fix --yes loosens that interface only', async () => {
    const ns = await namespace('rpf');
    await ns.exec(['ip', 'mptcp', 'endpoint', 'add', '198.51.100.1', 'dev', 'v1', 'subflow']);
    await ns.exec(['sysctl', '-w', 'net.ipv4.conf.v1.rp_filter=1']);
    const before = parseCheck(await ns.cli(['check', '--json', '--only', 'rp_filter']));
    expect(byId(before, 'rp_filter').status).toBe('warn');
    expect(byId(before, 'rp_filter').fix?.sysctls).toEqual([{ key: 'net.ipv4.conf.v1.rp_filter', value: '2' }]);
    const fix = await ns.cli(['fix', '--yes', '--only', 'rp_filter']);
    expect(fix.exitCode).toBe(0);
    expect(await ns.sysctl('net.ipv4.conf.v1.rp_filter')).toBe('2');
    expect(await ns.sysctl('net.ipv4.conf.v0.rp_filter')).toBe('0');
    expect(byId(parseCheck(await ns.cli(['check', '--json', '--only', 'rp_filter'])), 'rp_filter').status).toBe('pass');
  });

  it('fix as an unprivileged user exits 3 and changes nothing', async () => {
    const ns = await namespace('nobody');
    await ns.exec(['sysctl', '-w', 'net.mptcp.enabled=0']);
    // A fresh user namespace without a uid map: getuid() is 65534 (nobody) and the process has no
    // capability over this network namespace, yet it keeps its file access, so it can still load
    // the CLI from a checkout that only root may read (CI clones into such a directory).
    const result = await ns.cli(['fix', '--yes'], { prefix: ['unshare', '--user'] });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/needs root.*nothing was changed/);
    expect(await ns.sysctl('net.mptcp.enabled')).toBe('0');
    expect(await ns.sysctl('net.mptcp.checksum_enabled')).toBe('0');
  });

  it('fix with a read-only /proc/sys exits 3 with a clear error and changes nothing', async () => {
    const ns = await namespace('rosys');
    await ns.exec(['sysctl', '-w', 'net.mptcp.enabled=0']);
    // A private mount namespace where /proc/sys is read-only, as in many containers.
    const script = 'mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec "$@"';
    const result = await ns.exec(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', process.execPath, requireCli(), 'fix', '--yes']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/\/proc\/sys is read-only here.*cannot set net\.mptcp\.enabled.*nothing was changed/);
    expect(await ns.sysctl('net.mptcp.enabled')).toBe('0');
    expect(await ns.sysctl('net.mptcp.checksum_enabled')).toBe('0');
  });

  it('fix without --yes and without a terminal refuses (exit 2); --dry-run shows the plan only', async () => {
    const ns = await namespace('consent');
    await ns.exec(['sysctl', '-w', 'net.mptcp.enabled=0']);
    const refused = await ns.cli(['fix']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('--yes');
    const dry = await ns.cli(['fix', '--dry-run', '--json']);
    expect(dry.exitCode).toBe(0);
    const plan = JSON.parse(dry.stdout) as { schema: string; applied: boolean; plan: { changes: Array<{ key: string; previous: string; value: string }> } };
    expect(plan.schema).toBe('mptcp-doctor/fix/v1');
    expect(plan.applied).toBe(false);
    expect(plan.plan.changes).toContainEqual(expect.objectContaining({ key: 'net.mptcp.enabled', previous: '0', value: '1' }));
    expect(await ns.sysctl('net.mptcp.enabled')).toBe('0');
  });

  it('fix on a terminal asks first: "n" changes nothing, "y" applies', async () => {
    const ns = await namespace('tty');
    await ns.exec(['sysctl', '-w', 'net.mptcp.enabled=0']);
    // script(1) gives the CLI a pseudo-terminal; the answer is typed after the question appears.
    const ask = async (answer: string) => {
      const command = `${process.execPath} ${requireCli()} fix --only sysctl.enabled`;
      const child = execa('ip', ['netns', 'exec', ns.name, 'script', '-qec', command, '/dev/null'], { reject: false, timeout: 20_000, env: { NO_COLOR: '1' } });
      let typed = false;
      child.stdout!.on('data', (chunk: Buffer) => {
        if (!typed && chunk.toString().includes('[y/N]')) {
          typed = true;
          child.stdin!.write(`${answer}\n`);
        }
      });
      const result = await child;
      expect(typed).toBe(true);
      return result;
    };
    const declined = await ask('n');
    expect(String(declined.stdout)).toContain('Nothing changed.');
    expect(await ns.sysctl('net.mptcp.enabled')).toBe('0');
    const accepted = await ask('y');
    expect(String(accepted.stdout)).toMatch(/sysctl\.enabled\s+FAIL\s+->\s+PASS/);
    expect(await ns.sysctl('net.mptcp.enabled')).toBe('1');
  });

  it('writes Prometheus text atomically with --output, and it parses', async () => {
    const ns = await namespace('prom');
    const file = join(tmp, 'mptcp.prom');
    const result = await ns.cli(['check', '--format', 'prometheus', '--output', file]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('');
    const text = await readFile(file, 'utf8');
    const families = parsePrometheusTextFormat(text) as Array<{ name: string; type: string; metrics: Array<{ value: string; labels?: Record<string, string> }> }>;
    const ok = families.find((f) => f.name === 'mptcp_doctor_check_ok')!;
    expect(ok.type).toBe('GAUGE');
    expect(ok.metrics).toHaveLength(checkIds.length);
    expect(ok.metrics.find((m) => m.labels?.id === 'endpoints')).toMatchObject({ value: '0', labels: { status: 'warn' } });
    expect(ok.metrics.find((m) => m.labels?.id === 'sysctl.enabled')).toMatchObject({ value: '1', labels: { status: 'pass' } });
  });

  it('plain mptcp-doctor runs check; an unknown --only id is a usage error', async () => {
    const ns = await namespace('plain');
    const plain = await ns.cli([]);
    expect(plain.exitCode).toBe(0);
    expect(plain.stdout).toMatch(/^\d+ checks: 0 error, 0 fail, \d+ warn, \d+ pass, \d+ skip$/m);
    expect(plain.stdout).not.toMatch(/\x1b\[/);
    const bad = await ns.cli(['check', '--only', 'nonsense']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('unknown check id nonsense');
  });

  it("leaves the host's own net.mptcp values and endpoints as they were", async () => {
    expect(await readMptcpSysctls()).toEqual(hostBefore);
    expect(String((await execa('ip', ['mptcp', 'endpoint', 'show'])).stdout)).toBe(hostEndpointsBefore);
  });
});
