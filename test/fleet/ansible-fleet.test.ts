// The fleet audit end to end, with the engines a sysadmin runs: three hosts (network namespaces,
// each with Debian's sshd and key authentication), one with MPTCP disabled, one with DSS checksums
// off, one healthy that also probes an mptcp-doctor serve. contrib/ansible's playbook deploys the
// single executable over real SSH, audits, writes the textfiles and fetches the results; `report`
// then shows exactly those problems on exactly those hosts; a real node_exporter serves each
// host's textfile on /metrics; and the alerting rules, fed those very metrics, fire where they should.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIds } from '../../checks/registry.js';
import type { FleetReport } from '../../src/report/fleet.js';
import { LabProcess } from '../lab/index.js';
import { ensureSea } from '../support/artifacts.js';
import { packageRoot } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { Fleet } from './fleet-lab.js';
import { hostPaths, runAuditPlaybook } from './playbook.js';

const skip = missingRequirement(
  'Ansible fleet audit',
  'root', 'netns', 'tool:ansible-playbook', 'tool:ssh', 'tool:ssh-keygen', 'file:/usr/sbin/sshd',
  'tool:prometheus-node-exporter', 'tool:promtool', 'tool:curl', 'tool:strip',
);
const SERVE_PORT = 2121;
const EXPORTER_PORT = 9100;

describe.skipIf(skip)('fleet audit with Ansible, report, node_exporter and the alerting rules', () => {
  const fleet = new Fleet([
    { name: 'mptcp-off', sysctls: { 'net.mptcp.enabled': 0, 'net.mptcp.checksum_enabled': 1 } },
    { name: 'csum-off', sysctls: { 'net.mptcp.checksum_enabled': 0 } },
    { name: 'healthy', sysctls: { 'net.mptcp.checksum_enabled': 1 } },
  ]);
  let sea: string;
  const fetched = join(fleet.tmpDir, 'fleet');
  let playbookRun: { exitCode: number | undefined; stdout: string; stderr: string; durationMs: number };
  let taskTimes: string;

  const paths = (name: string) => hostPaths(fleet, name);

  beforeAll(async () => {
    sea = await ensureSea();
    await fleet.build();
    // The far end the healthy host probes: an mptcp-doctor serve on its own loopback.
    const healthy = fleet.host('healthy');
    const serve = fleet.spawn(healthy.ns, [sea, 'serve', '--listen', `127.0.0.1:${SERVE_PORT}`]);
    await serve.waitForPort(SERVE_PORT, 20_000);

    const { result, logFile } = await runAuditPlaybook(fleet, {
      executable: sea, fetchDir: fetched, probe: { host: 'healthy', url: `ftp://127.0.0.1:${SERVE_PORT}/` },
    });
    playbookRun = { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, durationMs: result.durationMs };
    taskTimes = taskDurations(readFileSync(logFile, 'utf8'));
  }, 420_000);

  afterAll(async () => {
    await fleet.destroy();
  });

  it('the playbook deploys, audits and fetches on every host over SSH, without a failed task', () => {
    expect(playbookRun.exitCode, `${playbookRun.stdout}\n${playbookRun.stderr}`).toBe(0);
    for (const host of fleet.hosts) {
      expect(playbookRun.stdout).toMatch(new RegExp(`^${host.name}\\s+: ok=\\d+\\s+changed=\\d+\\s+unreachable=0\\s+failed=0`, 'm'));
      expect(existsSync(paths(host.name).bin)).toBe(true);
      expect(existsSync(join(fetched, host.name, 'check.json'))).toBe(true);
    }
    expect(existsSync(join(fetched, 'healthy', 'probe.json'))).toBe(true);
    expect(existsSync(join(fetched, 'csum-off', 'probe.json'))).toBe(false);
    console.info(`fleet: ansible-playbook took ${(playbookRun.durationMs / 1000).toFixed(1)} s for ${fleet.hosts.length} hosts: ${taskTimes}`);
  });

  it('report shows exactly those problems on exactly those hosts, and exits 1', async () => {
    const run = await fleet.exec(fleet.controller, [sea, 'report', '--json', fetched], { timeoutMs: 30_000 });
    expect(run.exitCode, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as FleetReport;
    expect(report.skipped).toEqual([]);
    const problems = Object.fromEntries(report.hosts.map((h) => [h.host, h.problems.map((p) => `${p.status} ${p.id}`).sort()]));
    expect(problems).toEqual({
      'mptcp-off': ['fail socket.mptcp', 'fail sysctl.enabled'],
      'csum-off': ['warn sysctl.checksum'],
      healthy: [],
    });
    expect(report.hosts.find((h) => h.host === 'healthy')!.probes).toMatchObject([{ target: `ftp://127.0.0.1:${SERVE_PORT}/`, status: 'held', held: true }]);
    expect(report.groups.map((g) => g.hosts)).toEqual([['mptcp-off'], ['csum-off'], ['healthy']]);
    expect(report.summary).toMatchObject({ hosts: 3, failing: 1, warning: 1, ok: 1, allOk: false });

    const table = await fleet.exec(fleet.controller, ['env', 'NO_COLOR=1', sea, 'report', fetched], { timeoutMs: 30_000 });
    const row = (label: string) => table.stdout.split('\n').find((line) => line.startsWith(`${label} `))?.trim().split(/\s+/).slice(1);
    expect(table.stdout.split('\n')[0]!.trim().split(/\s+/)).toEqual(['csum-off', 'healthy', 'mptcp-off']);
    expect(row('sysctl.enabled')).toEqual(['PASS', 'PASS', 'FAIL']);
    expect(row('sysctl.checksum')).toEqual(['WARN', 'PASS', 'PASS']);
    expect(row('socket.mptcp')).toEqual(['PASS', 'PASS', 'FAIL']);
    expect(row('probe')).toEqual(['-', 'held', '-']);
    expect(table.stdout).toMatch(/1 host: mptcp-off\n\s+FAIL sysctl\.enabled: net\.mptcp\.enabled = 0/);
    expect(table.stdout).toContain('3 hosts: 1 failing, 1 with warnings, 1 ok');
  });

  it('node_exporter serves each host\'s textfile: mptcp_doctor_check_ok for every check, and the probe', async () => {
    for (const host of fleet.hosts) {
      const exporter: LabProcess = fleet.spawn(host.ns, [
        'prometheus-node-exporter', `--web.listen-address=${host.address}:${EXPORTER_PORT}`,
        '--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${paths(host.name).textfile}`,
      ]);
      await exporter.waitForPort(EXPORTER_PORT, 10_000);
      const scraped = await fleet.exec(fleet.controller, ['curl', '-sSf', '--max-time', '10', `http://${host.address}:${EXPORTER_PORT}/metrics`], { check: true });
      await exporter.stop();
      const families = Object.fromEntries(parsePrometheusTextFormat(scraped.stdout).map((f) => [f.name, f]));
      expect(families.node_textfile_scrape_error!.metrics).toEqual([{ value: '0' }]);
      const checks = (families.mptcp_doctor_check_ok!.metrics as Array<{ labels: Record<string, string>; value: string }>);
      const fetchedChecks = (JSON.parse(readFileSync(join(fetched, host.name, 'check.json'), 'utf8')) as { checks: Array<{ id: string; status: string }> }).checks;
      // Every check of the host's audit, with the status and value its JSON result says.
      expect(checks.map((m) => [m.labels.id, m.labels.status, m.value]).sort()).toEqual(
        fetchedChecks.map((c) => [c.id, c.status, c.status === 'pass' || c.status === 'skip' ? '1' : '0']).sort(),
      );
      expect(checks.length).toBe(checkIds.length);
      scrapes.set(host.name, scraped.stdout);
    }
    const value = (host: string, id: string) => (parsePrometheusTextFormat(scrapes.get(host)!).find((f) => f.name === 'mptcp_doctor_check_ok')!.metrics as Array<{ labels: Record<string, string>; value: string }>).find((m) => m.labels.id === id)!.value;
    expect(value('mptcp-off', 'sysctl.enabled')).toBe('0');
    expect(value('csum-off', 'sysctl.checksum')).toBe('0');
    expect(value('healthy', 'sysctl.checksum')).toBe('1');
    const probes = (host: string) => parsePrometheusTextFormat(scrapes.get(host)!).find((f) => f.name === 'mptcp_doctor_probe_held')?.metrics;
    expect(probes('healthy')).toEqual([{ labels: { target: `ftp://127.0.0.1:${SERVE_PORT}/`, status: 'held', cause: 'none' }, value: '1' }]);
    expect(probes('csum-off')).toBeUndefined();
  });

  it('the alerting rules, fed the scraped metrics, fire on exactly the broken hosts', async () => {
    expect(scrapes.size).toBe(3);
    const series: string[] = [];
    for (const [host, text] of scrapes) {
      for (const family of parsePrometheusTextFormat(text)) {
        if (!family.name.startsWith('mptcp_doctor_') || family.name.endsWith('timestamp_seconds')) continue;
        for (const metric of family.metrics as Array<{ labels?: Record<string, string>; value: string }>) {
          const labels = { ...metric.labels, instance: `${host}:9100`, job: 'node' };
          const text = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
          series.push(`      - series: '${family.name}{${text}}'\n        values: '${metric.value}x40'`);
        }
      }
    }
    const expectAlert = (alert: string, host: string | undefined, labels: Record<string, string>) => [
      `      - eval_time: 35m`,
      `        alertname: ${alert}`,
      host === undefined ? '        exp_alerts: []' : `        exp_alerts:\n          - exp_labels: { ${Object.entries({ ...labels, instance: `${host}:9100`, job: 'node' }).map(([k, v]) => `${k}: "${v}"`).join(', ')} }`,
    ].join('\n');
    const tests = [
      'rule_files:',
      `  - ${join(packageRoot, 'contrib', 'prometheus', 'mptcp-doctor.rules.yml')}`,
      'evaluation_interval: 1m',
      'tests:',
      '  - interval: 1m',
      '    input_series:',
      ...series,
      '    alert_rule_test:',
      expectAlert('MptcpDisabled', 'mptcp-off', { severity: 'critical', id: 'sysctl.enabled', status: 'fail' }),
      expectAlert('MptcpChecksumsOff', 'csum-off', { severity: 'warning', id: 'sysctl.checksum', status: 'warn' }),
      expectAlert('MptcpSelfTestFailing', undefined, {}),
      expectAlert('MptcpCheckFailing', undefined, {}),
      expectAlert('MptcpProbeFellBack', undefined, {}),
      '',
    ].join('\n');
    // promtool compares annotations too: the rules' own, rendered for these labels, are not the
    // point here; only which alerts fire where. Drop annotations from the rule copy under test.
    const rules = readFileSync(join(packageRoot, 'contrib', 'prometheus', 'mptcp-doctor.rules.yml'), 'utf8')
      .replace(/^\s+annotations:\n(?:\s{10}\w+: .*\n)+/gm, '');
    const rulesFile = join(fleet.tmpDir, 'rules.yml');
    writeFileSync(rulesFile, rules);
    const testFile = join(fleet.tmpDir, 'fleet.rules.test.yml');
    writeFileSync(testFile, tests.replace(join(packageRoot, 'contrib', 'prometheus', 'mptcp-doctor.rules.yml'), rulesFile));
    const result = await fleet.exec(fleet.controller, ['promtool', 'test', 'rules', testFile], { timeoutMs: 30_000 });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
  });

  const scrapes = new Map<string, string>();
});

/** "task 1.2 s, ..." from ansible's log (each line timestamped): where a slow run spent its time. */
function taskDurations(log: string): string {
  const marks = [...log.matchAll(/^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) .*\| (?:TASK \[(?:\w+ : )?([^\]]+)\]|PLAY RECAP)/gm)].map((m) => ({
    at: Date.parse(`${m[1]!.replace(' ', 'T')}.${m[2]}`),
    task: m[3],
  }));
  return marks.slice(0, -1).map((mark, i) => `${mark.task} ${((marks[i + 1]!.at - mark.at) / 1000).toFixed(1)} s`).join(', ');
}
