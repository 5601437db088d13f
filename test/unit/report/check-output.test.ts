import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../checks/types.js';
import { planFixes } from '../../../checks/fix-plan.js';
import { formatCommand, renderChecks, renderHeadline, wrapText } from '../../../src/report/checks.js';
import { renderPrometheus } from '../../../src/report/prometheus.js';

const results: CheckResult[] = [
  { id: 'kernel.mptcp', title: 'k', status: 'pass', summary: 'Linux 6.18', evidence: ['kernel release 6.18'], durationMs: 1 },
  {
    id: 'sysctl.enabled',
    title: 'e',
    status: 'fail',
    summary: 'net.mptcp.enabled = 0',
    evidence: [],
    durationMs: 2,
    fix: { advice: 'Enable MPTCP.', commands: [['sysctl', '-w', 'net.mptcp.enabled=1']], sysctls: [{ key: 'net.mptcp.enabled', value: '1' }] },
  },
  {
    id: 'socket.mptcp',
    title: 's',
    status: 'fail',
    summary: 'disabled',
    evidence: [],
    durationMs: 2,
    fix: { advice: 'Enable MPTCP.', commands: [['sysctl', '-w', 'net.mptcp.enabled=1']], sysctls: [{ key: 'net.mptcp.enabled', value: '1' }] },
  },
  {
    id: 'endpoints',
    title: 'p',
    status: 'warn',
    summary: 'no endpoints',
    evidence: [],
    durationMs: 30,
    fix: { advice: 'Add endpoints.', commands: [['ip', 'mptcp', 'endpoint', 'add', '10.0.0.1', 'dev', 'eth0', 'subflow']] },
  },
  { id: 'weird "id"\\', title: 'w', status: 'error', summary: 'boom', evidence: [], durationMs: 0 },
  { id: 'rp_filter', title: 'r', status: 'skip', summary: 'no endpoints', evidence: [], durationMs: 0 },
];

describe('renderPrometheus', () => {
  const text = renderPrometheus(results, new Date(1_700_000_000_000));

  it('is valid exposition text: every line a comment or name{labels} value', () => {
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{([a-z_]+="([^"\\\n]|\\["\\n])*",?)+\})? -?[0-9.e+-]+)$/);
    }
    expect(text.endsWith('\n')).toBe(true);
  });

  it('parses with a Prometheus text-format parser into the expected gauges', () => {
    const families = parsePrometheusTextFormat(text) as Array<{ name: string; type: string; metrics: Array<{ value: string; labels?: Record<string, string> }> }>;
    const ok = families.find((f) => f.name === 'mptcp_doctor_check_ok')!;
    expect(ok.type).toBe('GAUGE');
    expect(ok.metrics.map((m) => [m.labels!.id, m.labels!.status, m.value])).toEqual([
      ['kernel.mptcp', 'pass', '1'],
      ['sysctl.enabled', 'fail', '0'],
      ['socket.mptcp', 'fail', '0'],
      ['endpoints', 'warn', '0'],
      ['weird "id"\\', 'error', '0'],
      ['rp_filter', 'skip', '1'],
    ]);
    const counts = families.find((f) => f.name === 'mptcp_doctor_checks')!;
    expect(Object.fromEntries(counts.metrics.map((m) => [m.labels!.status, Number(m.value)]))).toEqual({ pass: 1, warn: 1, fail: 2, skip: 1, error: 1 });
    expect(families.find((f) => f.name === 'mptcp_doctor_last_run_timestamp_seconds')!.metrics[0]!.value).toBe('1700000000');
    expect(families.map((f) => f.name)).toContain('mptcp_doctor_check_duration_seconds');
  });
});

describe('renderChecks', () => {
  it('groups worst first, without colour codes when colour is off, and counts', () => {
    const text = renderChecks(results, { color: false });
    const order = ['ERROR', 'FAIL', 'WARN', 'PASS', 'SKIP'].map((word) => text.indexOf(`${word}  `));
    expect(order.every((pos, i) => pos >= 0 && (i === 0 || pos > order[i - 1]!))).toBe(true);
    expect(text).not.toMatch(/\x1b\[/);
    expect(text).toContain('$ ip mptcp endpoint add 10.0.0.1 dev eth0 subflow');
    expect(text.trimEnd().split('\n').at(-1)).toBe('6 checks: 1 error, 2 fail, 1 warn, 1 pass, 1 skip');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('starts with a one-line verdict, then the table', () => {
    const text = renderChecks(results, { color: false });
    expect(text.split('\n').slice(0, 3)).toEqual([
      'MPTCP is not ready on this host: 2 checks (sysctl.enabled, socket.mptcp) failed;',
      '  1 check (weird "id"\\) could not run; 1 warning (endpoints)',
      '',
    ]);
    const passing = results.filter((r) => r.status === 'pass' || r.status === 'skip');
    expect(renderHeadline(passing, false)).toBe('MPTCP is ready on this host: 1 check passed');
    expect(renderHeadline([...passing, results[3]!], false)).toBe('MPTCP works on this host: 1 warning (endpoints)');
    expect(renderHeadline(passing, true)).toBe('\x1b[32mMPTCP is ready on this host\x1b[0m: 1 check passed');
  });

  it('colours status words when asked', () => {
    expect(renderChecks(results, { color: true })).toContain('\x1b[31mFAIL');
  });

  it('shows evidence with --verbose', () => {
    expect(renderChecks(results, { color: false, verbose: true })).toContain('kernel release 6.18');
  });
});

describe('formatting helpers', () => {
  it('quotes arguments a shell would split', () => {
    expect(formatCommand(['nmcli', 'connection', 'modify', 'Wired connection 1'])).toBe("nmcli connection modify 'Wired connection 1'");
  });

  it('wraps text at the width with an indent', () => {
    const wrapped = wrapText('one two three four five six seven', 12, '  ');
    expect(wrapped.split('\n').every((l) => l.length <= 12 && l.startsWith('  '))).toBe(true);
  });
});

describe('planFixes', () => {
  it('collects each sysctl once from failing and warning checks, and prints the rest', async () => {
    const plan = await planFixes(results, async () => '0');
    expect(plan.changes).toEqual([{ key: 'net.mptcp.enabled', value: '1', previous: '0', checks: ['sysctl.enabled', 'socket.mptcp'] }]);
    expect(plan.printedOnly.map((p) => p.id)).toEqual(['endpoints']);
  });

  it('leaves out values already in place', async () => {
    const plan = await planFixes(results, async () => '1');
    expect(plan.changes).toEqual([]);
  });
});
