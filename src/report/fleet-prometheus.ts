// One host's check and probe results as a node_exporter textfile. The check metrics are exactly
// what `check --format prometheus` writes; the probe adds mptcp_doctor_probe_held per target, which
// `probe` itself has no textfile output for. Timestamps are the files' times: when the audit ran.
import type { HostReport } from './fleet.js';
import { escapeLabelValue, renderPrometheus } from './prometheus.js';

export function renderHostPrometheus(host: HostReport): string {
  const parts: string[] = [];
  if (host.checkFile) {
    const results = host.checks.map((c) => ({ ...c, title: c.id, evidence: [] }));
    parts.push(renderPrometheus(results, new Date(host.checkTimestamp ?? Date.now())));
  }
  // One series per target: of several results for one target, the newest.
  const newest = new Map<string, (typeof host.probes)[number]>();
  for (const probe of host.probes) {
    const seen = newest.get(probe.target);
    if (!seen || probe.timestamp > seen.timestamp) newest.set(probe.target, probe);
  }
  if (newest.size > 0) {
    const probes = [...newest.values()];
    const lines = [
      '# HELP mptcp_doctor_probe_held MPTCP probe: 1 when MPTCP held on every connection, else 0 (verdict status and cause as labels).',
      '# TYPE mptcp_doctor_probe_held gauge',
      ...probes.map((p) => `mptcp_doctor_probe_held{target="${escapeLabelValue(p.target)}",status="${escapeLabelValue(p.status)}",cause="${escapeLabelValue(p.cause)}"} ${p.held ? 1 : 0}`),
      '# HELP mptcp_doctor_probe_last_run_timestamp_seconds When the probe result was written (Unix time).',
      '# TYPE mptcp_doctor_probe_last_run_timestamp_seconds gauge',
      ...probes.map((p) => `mptcp_doctor_probe_last_run_timestamp_seconds{target="${escapeLabelValue(p.target)}"} ${Math.floor(p.timestamp / 1000)}`),
    ];
    parts.push(`${lines.join('\n')}\n`);
  }
  return parts.join('');
}
