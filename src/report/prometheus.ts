// Prometheus text exposition format (version 0.0.4) of check results, for node_exporter's textfile
// collector: one gauge per check (1 = pass or skip, 0 = warn, fail or error) with the status as a label.
import type { CheckResult, ResultStatus } from '../../checks/types.js';

const STATUSES: readonly ResultStatus[] = ['pass', 'warn', 'fail', 'skip', 'error'];

/** Escapes a label value: backslash, double quote and newline (the three the format requires). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

export function renderPrometheus(results: readonly CheckResult[], now = new Date()): string {
  const lines: string[] = [];
  const metric = (name: string, help: string, samples: Array<[Record<string, string>, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [pairs, value] of samples) lines.push(`${name}${Object.keys(pairs).length > 0 ? labels(pairs) : ''} ${value}`);
  };
  metric(
    'mptcp_doctor_check_ok',
    'MPTCP readiness check: 1 when it passed or did not apply (pass, skip), 0 on warn, fail or error.',
    results.map((r) => [{ id: r.id, status: r.status }, r.status === 'pass' || r.status === 'skip' ? 1 : 0]),
  );
  metric(
    'mptcp_doctor_checks',
    'Number of MPTCP readiness checks by status.',
    STATUSES.map((status) => [{ status }, results.filter((r) => r.status === status).length]),
  );
  metric(
    'mptcp_doctor_check_duration_seconds',
    'Time each MPTCP readiness check took.',
    results.map((r) => [{ id: r.id }, r.durationMs / 1000]),
  );
  metric('mptcp_doctor_last_run_timestamp_seconds', 'When mptcp-doctor check last ran (Unix time).', [[{}, Math.floor(now.getTime() / 1000)]]);
  return `${lines.join('\n')}\n`;
}
