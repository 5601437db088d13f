// The fleet report's rules: which host a file speaks for, which documents count, how hosts are
// grouped, what makes the fleet fail, and that renderings fit 80 columns and parse as Prometheus.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { buildFleetReport, hostOf, parseDocument, REPORT_SCHEMA, type InputFile } from '../../../src/report/fleet.js';
import { renderHostPrometheus } from '../../../src/report/fleet-prometheus.js';
import { renderFleet } from '../../../src/report/fleet-table.js';

function checkDocument(statuses: Record<string, string>): string {
  return JSON.stringify({
    schema: 'mptcp-doctor/check/v1',
    checks: Object.entries(statuses).map(([id, status]) => ({ id, title: id, status, summary: `${id} is ${status}`, evidence: [], durationMs: 5 })),
    summary: {},
    durationMs: 10,
  });
}

function probeDocument(url: string, held: boolean): string {
  const status = held ? 'held' : 'fell-back';
  return JSON.stringify({
    schema: 'mptcp-doctor/probe/v1',
    target: { url, host: '192.0.2.1', port: 2121, server: 'serve' },
    verdict: { status, cause: held ? 'none' : 'peer-or-path-no-mptcp', evidence: [], advice: [] },
    connections: [{ run: 0, role: 'control', status: 'held' }, { run: 0, role: 'data', status }],
    runs: [{ mode: 'passive' }],
  });
}

const file = (path: string, text: string, mtimeMs = 1_700_000_000_000): InputFile => ({ path, text, mtimeMs });
const healthy = { 'kernel.mptcp': 'pass', 'sysctl.enabled': 'pass', 'sysctl.checksum': 'pass', 'endpoints.routing': 'skip' };

describe('hostOf', () => {
  it.each([
    ['fleet/web1/check.json', 'web1'],
    ['fleet/web1.example.org/probe.json', 'web1.example.org'],
    ['fleet/web1/probe-backup.json', 'web1'],
    ['web2.json', 'web2'],
    ['results/web2.check.json', 'web2'],
    ['results/web2.probe.json', 'web2'],
    ['results/db.internal.example.org.json', 'db.internal.example.org'],
    ['check.json', 'check'],
  ])('%s -> %s', (path, host) => {
    expect(hostOf(path)).toBe(host);
  });
});

describe('parseDocument', () => {
  it('names what is wrong with a file it cannot use', () => {
    expect(parseDocument('{"schema": "mptcp-doctor/check/v1", "checks": [').kind).toBe('skip');
    expect(parseDocument('[1, 2]')).toEqual({ kind: 'skip', reason: 'not a JSON object' });
    expect(parseDocument('{"schema": "mptcp-doctor/connect/v1"}')).toEqual({ kind: 'skip', reason: 'not a check or probe result (schema mptcp-doctor/connect/v1)' });
    expect(parseDocument('{"hello": 1}')).toEqual({ kind: 'skip', reason: 'not a check or probe result (no schema field)' });
    const malformed = parseDocument('{"schema": "mptcp-doctor/check/v1", "checks": [{"id": "a", "status": "pass"}, {"id": "b", "status": "great"}]}');
    expect(malformed.kind).toBe('skip');
    expect((malformed as { reason: string }).reason).toContain('checks[1]');
    expect(parseDocument('{"schema": "mptcp-doctor/probe/v1", "verdict": {}}').kind).toBe('skip');
  });

  it('a probe held only when every connection held and no run failed (the probe command\'s exit rule)', () => {
    expect(parseDocument(probeDocument('ftp://a/', true))).toMatchObject({ kind: 'probe', held: true, status: 'held' });
    expect(parseDocument(probeDocument('ftp://a/', false))).toMatchObject({ kind: 'probe', held: false, status: 'fell-back', cause: 'peer-or-path-no-mptcp' });
    const failedRun = JSON.parse(probeDocument('ftp://a/', true)) as { runs: Array<Record<string, unknown>> };
    failedRun.runs[0]!.error = 'timed out';
    expect(parseDocument(JSON.stringify(failedRun))).toMatchObject({ held: false });
    const none = JSON.parse(probeDocument('ftp://a/', true)) as { connections: unknown[] };
    none.connections = [];
    expect(parseDocument(JSON.stringify(none))).toMatchObject({ held: false });
  });
});

describe('buildFleetReport', () => {
  const report = buildFleetReport(
    [
      file('fleet/web10/check.json', checkDocument({ ...healthy, 'sysctl.checksum': 'warn' })),
      file('fleet/web2/check.json', checkDocument({ ...healthy, 'sysctl.enabled': 'fail', 'kernel.mptcp': 'error' })),
      file('fleet/web3/check.json', checkDocument(healthy)),
      file('fleet/web3/probe.json', probeDocument('ftp://192.0.2.1:2121/', true)),
      file('fleet/web4/check.json', checkDocument({ ...healthy, 'sysctl.checksum': 'warn' })),
      file('fleet/web4.json', checkDocument(healthy)),
      file('fleet/web5/probe.json', probeDocument('ftp://192.0.2.1:2121/', false)),
      file('fleet/notes.json', '{"schema": "something/else"}'),
    ],
    [{ file: 'fleet/gone', reason: 'no such file or directory' }],
  );

  it('one entry per host, in natural order, with its checks and probes', () => {
    expect(report.schema).toBe(REPORT_SCHEMA);
    expect(report.hosts.map((h) => h.host)).toEqual(['web2', 'web3', 'web4', 'web5', 'web10']);
    expect(report.checkIds).toEqual(['kernel.mptcp', 'sysctl.enabled', 'sysctl.checksum', 'endpoints.routing']);
    expect(report.hosts.find((h) => h.host === 'web3')!.probes).toMatchObject([{ held: true, target: 'ftp://192.0.2.1:2121/' }]);
  });

  it('failing: a failed or errored check, or a probe that did not hold; a warning is not failing', () => {
    const failing = Object.fromEntries(report.hosts.map((h) => [h.host, h.failing]));
    expect(failing).toEqual({ web2: true, web3: false, web4: false, web5: true, web10: false });
    expect(report.summary).toMatchObject({ hosts: 5, failing: 2, warning: 2, ok: 1, allOk: false });
  });

  it('problems worst first; hosts sharing the same problems grouped, worst groups first', () => {
    expect(report.hosts.find((h) => h.host === 'web2')!.problems.map((p) => `${p.status} ${p.id}`)).toEqual(['error kernel.mptcp', 'fail sysctl.enabled']);
    expect(report.groups.map((g) => [g.hosts, g.problems.map((p) => `${p.status} ${p.id}`)])).toEqual([
      [['web2'], ['error kernel.mptcp', 'fail sysctl.enabled']],
      [['web5'], ['fell-back probe ftp://192.0.2.1:2121/']],
      [['web4', 'web10'], ['warn sysctl.checksum']],
      [['web3'], []],
    ]);
    // The summary is kept when every host of the group says the same.
    expect(report.groups[2]!.problems[0]!.summary).toBe('sysctl.checksum is warn');
  });

  it('names every file it skipped and why: foreign, duplicate, unreadable', () => {
    expect(report.skipped).toEqual([
      { file: 'fleet/gone', reason: 'no such file or directory' },
      { file: 'fleet/web4.json', reason: 'a second check result for host web4 (first: fleet/web4/check.json)' },
      { file: 'fleet/notes.json', reason: 'not a check or probe result (schema something/else)' },
    ]);
  });

  it('text from the files reaches the terminal without control characters (escape sequences, NUL, C1)', () => {
    const hostile = JSON.stringify({
      schema: 'mptcp-doctor/check/v1',
      checks: [{ id: 'sysctl.enabled\u001b]0;owned\u0007', status: 'fail', summary: 'off \u001b[2J\u009b31m', evidence: [], durationMs: 1 }],
    });
    const report = buildFleetReport([
      file('fleet/web\u001b[31m1/check.json', hostile),
      file('fleet/web2/check.json', '\u0000\u0001garbage\u001b[31mred'),
      file('fleet/web3/probe.json', probeDocument('ftp://192.0.2.1/\u001b[1m', false)),
    ], [{ file: 'fleet/\u001bx/check.json', reason: 'EACCES \u0007' }]);
    const text = renderFleet(report, { width: 80, color: false });
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(JSON.stringify(report)).not.toMatch(/\\u00(1b|00|07|9b)/);
    expect(report.hosts.map((h) => h.host)).toEqual(['web?[31m1', 'web3']);
    expect(report.skipped.map((s) => s.reason)).toEqual(['EACCES ?', expect.stringMatching(/^not JSON: /)]);
  });

  it('a fleet where nothing fails is all ok', () => {
    const calm = buildFleetReport([file('a/check.json', checkDocument(healthy)), file('b/check.json', checkDocument({ ...healthy, 'sysctl.checksum': 'warn' }))]);
    expect(calm.summary).toMatchObject({ failing: 0, warning: 1, ok: 1, allOk: true });
  });

  it('the table fits 80 columns however long the host names, and shows every host and check', () => {
    const hosts = Array.from({ length: 7 }, (_, i) => `host-${i}.datacenter-${i % 2}.example.org`);
    const big = buildFleetReport(hosts.map((h, i) => file(`f/${h}/check.json`, checkDocument({ ...healthy, 'sysctl.enabled': i === 3 ? 'fail' : 'pass' }))));
    const text = renderFleet(big, { color: false });
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    for (const host of hosts) expect(text).toContain(host);
    // The matrix is split into blocks, each repeating the check names.
    expect(text.split('\n').filter((line) => line.startsWith('sysctl.enabled ')).length).toBeGreaterThan(1);
    expect(text).toMatch(/1 host: host-3\.datacenter-1\.example\.org\n\s+FAIL sysctl\.enabled: sysctl\.enabled is fail/);
    expect(text).toMatch(/6 hosts without problems: /);
    expect(text.trimEnd().split('\n').at(-1)).toBe('7 hosts: 1 failing, 0 with warnings, 6 ok');
  });

  it('one host as a node_exporter textfile: the check metrics plus one probe series per target', () => {
    const one = buildFleetReport([
      file('h/check.json', checkDocument({ ...healthy, 'sysctl.enabled': 'fail' }), 1_700_000_100_000),
      file('h/probe-old.json', probeDocument('ftp://192.0.2.1:2121/', true), 1_700_000_000_000),
      file('h/probe.json', probeDocument('ftp://192.0.2.1:2121/', false), 1_700_000_200_000),
    ]);
    const families = parsePrometheusTextFormat(renderHostPrometheus(one.hosts[0]!));
    const byName = Object.fromEntries(families.map((f) => [f.name, f]));
    const checkOk = byName.mptcp_doctor_check_ok!.metrics as Array<{ labels: Record<string, string>; value: string }>;
    expect(checkOk.map((m) => [m.labels.id, m.value])).toEqual([['kernel.mptcp', '1'], ['sysctl.enabled', '0'], ['sysctl.checksum', '1'], ['endpoints.routing', '1']]);
    expect(byName.mptcp_doctor_last_run_timestamp_seconds!.metrics).toEqual([{ value: '1700000100' }]);
    // Two results for one target: the newest only (two series with equal labels would be invalid).
    expect(byName.mptcp_doctor_probe_held!.metrics).toEqual([
      { labels: { target: 'ftp://192.0.2.1:2121/', status: 'fell-back', cause: 'peer-or-path-no-mptcp' }, value: '0' },
    ]);
    expect(byName.mptcp_doctor_probe_last_run_timestamp_seconds!.metrics).toEqual([{ labels: { target: 'ftp://192.0.2.1:2121/' }, value: '1700000200' }]);
  });
});
