// Prometheus text format (0.0.4) of a `conns` snapshot, for node_exporter's textfile collector:
// connections, fallbacks and subflows per listener and per program, and namespace totals.
// Programs are labelled by command name only: pids would make a new series at every restart.
import type { ConnsSummary } from '../kernel/host-connections.js';
import { formatEndpoint } from '../kernel/host-connections.js';
import { escapeLabelValue } from './prometheus.js';

type Sample = [Record<string, string>, number];

function labels(pairs: Record<string, string>): string {
  const entries = Object.entries(pairs);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

export function renderConnsPrometheus(snapshot: ConnsSummary): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, samples: Sample[]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [pairs, value] of samples) lines.push(`${name}${labels(pairs)} ${value}`);
  };
  const t = snapshot.totals;
  gauge('mptcp_doctor_connections', 'Open MPTCP connections in this network namespace, by state (a plain TCP socket accepted on an MPTCP listener counts as fallback).', [
    [{ state: 'mptcp' }, t.mptcp],
    [{ state: 'fallback' }, t.fallbacks],
  ]);
  gauge('mptcp_doctor_subflows', 'Subflows of the open MPTCP connections.', [[{}, t.subflows]]);
  gauge('mptcp_doctor_listeners', 'Listening sockets, by kind.', [[{ kind: 'mptcp' }, t.mptcpListeners], [{ kind: 'tcp' }, t.tcpListeners]]);

  // SO_REUSEPORT gives several sockets one endpoint: one series per endpoint and kind, summed.
  const merged = new Map<string, { labels: Record<string, string>; connections: number; fallbacks: number; subflows: number; kind: string }>();
  for (const l of snapshot.listeners) {
    const key = `${l.kind} ${formatEndpoint(l.local)}`;
    const entry = merged.get(key) ?? { labels: { listener: formatEndpoint(l.local), kind: l.kind, process: '' }, connections: 0, fallbacks: 0, subflows: 0, kind: l.kind };
    const commands = new Set([...entry.labels.process!.split(',').filter(Boolean), ...l.processes.map((p) => p.command)]);
    entry.labels.process = [...commands].sort().join(',');
    entry.connections += l.connections;
    entry.fallbacks += l.fallbacks;
    entry.subflows += l.subflows;
    merged.set(key, entry);
  }
  const listeners = [...merged.values()];
  gauge('mptcp_doctor_listener_connections', 'Open connections accepted on each listener.', listeners.map((l) => [l.labels, l.connections]));
  const mptcpListeners = listeners.filter((l) => l.kind === 'mptcp');
  gauge('mptcp_doctor_listener_fallbacks', 'Connections accepted on an MPTCP listener that are not MPTCP (handshake fallbacks included).',
    mptcpListeners.map((l) => [l.labels, l.fallbacks]));
  gauge('mptcp_doctor_listener_subflows', 'Subflows of the connections accepted on an MPTCP listener.', mptcpListeners.map((l) => [l.labels, l.subflows]));

  gauge('mptcp_doctor_process_connections', 'Open MPTCP connections held by each program (command name).', snapshot.processes.map((p) => [{ process: p.command }, p.connections]));
  gauge('mptcp_doctor_process_fallbacks', 'Of those, connections that fell back to TCP.', snapshot.processes.map((p) => [{ process: p.command }, p.fallbacks]));
  gauge('mptcp_doctor_process_subflows', 'Subflows of the MPTCP connections each program holds.', snapshot.processes.map((p) => [{ process: p.command }, p.subflows]));
  return `${lines.join('\n')}\n`;
}
