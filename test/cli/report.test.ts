// `mptcp-doctor report` as a user runs it, on results the CLI itself wrote: exit codes (1 when a
// host fails, 2 when nothing can be reported), bad files named on stderr and skipped, one host's
// textfile with --format prometheus --output, and usage errors.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDist } from '../support/dist.js';

const cli = requireDist();

function run(...args: string[]) {
  return execa('node', [cli, ...args], { reject: false, timeout: 30_000, env: { NO_COLOR: '1' } });
}

describe('report', () => {
  let work: string;
  let check: { checks: Array<{ id: string; status: string }> };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mptcp-doctor-report-'));
    // A real result of this machine's audit, and a copy in which one check failed.
    const real = await run('check', '--json', '--only', 'kernel.mptcp,sysctl.enabled,pm.type');
    check = JSON.parse(real.stdout) as typeof check;
    const failing = structuredClone(check);
    failing.checks[1]!.status = 'fail';
    for (const [host, document] of [['alpha', check], ['beta', failing]] as const) {
      mkdirSync(join(work, 'fleet', host), { recursive: true });
      writeFileSync(join(work, 'fleet', host, 'check.json'), JSON.stringify(document));
    }
    writeFileSync(join(work, 'fleet', 'notes.json'), '{"schema": "something/else/v1"}');
    writeFileSync(join(work, 'fleet', 'truncated.json'), JSON.stringify(check).slice(0, 40));
    // Another command's result: ours, but not a check or probe.
    writeFileSync(join(work, 'fleet', 'connect.json'), (await run('connect', '127.0.0.1:1', '--json')).stdout || '{"schema": "mptcp-doctor/connect/v1"}');
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('merges the hosts, names the files it skipped, and exits 1 when a host fails', async () => {
    const result = await run('report', join(work, 'fleet'), join(work, 'missing'));
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stdout.split('\n')[0]!.trim().split(/\s+/)).toEqual(['alpha', 'beta']);
    expect(result.stdout).toMatch(new RegExp(`^sysctl\\.enabled\\s+${check.checks[1]!.status.toUpperCase()}\\s+FAIL$`, 'm'));
    // Long lines wrap at 80 columns: compare the words.
    const words = result.stdout.replace(/\s+/g, ' ');
    expect(words).toContain('Skipped 4 files:');
    expect(words).toContain(`${join(work, 'missing')}: no such file or directory`);
    expect(words).toContain(`${join(work, 'fleet', 'notes.json')}: not a check or probe result (schema something/else/v1)`);
    expect(words).toContain(`${join(work, 'fleet', 'truncated.json')}: not JSON`);
    expect(words).toContain(`${join(work, 'fleet', 'connect.json')}: not a check or probe result (schema mptcp-doctor/connect/v1)`);
    expect(result.stdout).toMatch(/2 hosts: 1 failing/);
  });

  it('--json: one object (mptcp-doctor/report/v1), skipped files on stderr', async () => {
    const result = await run('report', '--json', join(work, 'fleet'));
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as { schema: string; hosts: Array<{ host: string; failing: boolean }>; skipped: unknown[] };
    expect(report.schema).toBe('mptcp-doctor/report/v1');
    expect(report.hosts.map((h) => [h.host, h.failing])).toEqual([['alpha', false], ['beta', true]]);
    expect(report.skipped).toHaveLength(3);
    expect(result.stderr).toContain('mptcp-doctor: skipped');
  });

  it('exits 0 when no host fails', async () => {
    const result = await run('report', join(work, 'fleet', 'alpha'));
    expect(result.exitCode, result.stderr).toBe(check.checks.some((c) => c.status === 'fail' || c.status === 'error') ? 1 : 0);
  });

  it('one host\'s textfile: --format prometheus --output, written atomically', async () => {
    const textfile = join(work, 'beta.prom');
    const result = await run('report', '--format', 'prometheus', '--output', textfile, join(work, 'fleet', 'beta'));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    const families = parsePrometheusTextFormat(readFileSync(textfile, 'utf8'));
    const ok = families.find((f) => f.name === 'mptcp_doctor_check_ok')!.metrics as Array<{ labels: Record<string, string>; value: string }>;
    expect(ok.map((m) => m.labels.id)).toEqual(['kernel.mptcp', 'sysctl.enabled', 'pm.type']);
    expect(ok[1]).toEqual({ labels: { id: 'sysctl.enabled', status: 'fail' }, value: '0' });
  });

  it('usage errors: nothing to report, several hosts for one textfile, --json with another format', async () => {
    const nothing = await run('report', join(work, 'fleet', 'notes.json'));
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr).toContain(`no check or probe results in ${join(work, 'fleet', 'notes.json')} (1 file skipped)`);
    const several = await run('report', '--format', 'prometheus', join(work, 'fleet'));
    expect(several.exitCode).toBe(2);
    expect(several.stderr).toContain("--format prometheus writes one host's textfile; these results are from 2 hosts (alpha, beta)");
    const conflict = await run('report', '--json', '--format', 'table', join(work, 'fleet'));
    expect(conflict.exitCode).toBe(2);
    const none = await run('report');
    expect(none.exitCode).toBe(2);
  });
});
