// One connection record (the shape probe, get and put all report: src/session/record.ts) as a
// timeline connection: the series per subflow from its samples, the markers read off them. The
// command adapters (from-probe.ts, from-transfer.ts) add what the whole session says.
import { formatHostPort } from '../../net/address.js';
import type { ConnectionRecord } from '../../session/record.js';
import type { CounterSnapshot } from '../../sys/counters.js';
import type { ConnectionSample, KernelSubflowEvidence, ReplyAnomaly } from '../../verdict/evidence.js';
import { stalledSubflows } from '../../verdict/evidence-facts.js';
import type { Verdict } from '../../verdict/verdict.js';
import { formatBytes } from '../units.js';
import { lastGrowthMs } from './series.js';
import type { TimelineConnection, TimelineMarker, TimelineStateSpan, TimelineSubflow, TimelineTone } from './session-timeline.js';

const STATUS_TEXT: Record<Verdict['status'], string> = {
  held: 'MPTCP held',
  degraded: 'MPTCP held but degraded',
  'fell-back': 'MPTCP fell back to TCP',
  'not-attempted': 'MPTCP not attempted',
};

/** Counters with a level, not a count of events: their delta says nothing about the session. */
const GAUGES = new Set(['MPCurrEstab']);

/** Resets counted in the session (namespace-wide: they cannot be tied to one subflow). */
const RESET_COUNTERS = ['MPRstTx', 'MPRstRx', 'DSSCorruptionReset'];

/** What the session around a connection knew: drawn on its control connection, or in its details. */
export interface RecordContext {
  /** The transfer ended with its 226 (no error). */
  transferOk: boolean;
  anomalies: readonly ReplyAnomaly[];
  gaveUp?: { atMs: number; reason: string };
  /** The client's MPTcpExt deltas over the session. */
  counters: CounterSnapshot;
}

export function tone(status: Verdict['status'], cause: string): TimelineTone {
  if (status === 'held') return 'good';
  if (status === 'degraded') return 'warn';
  return status === 'not-attempted' && cause === 'none' ? 'neutral' : 'bad';
}

export function verdictText(verdict: Pick<Verdict, 'status' | 'cause'>): string {
  return STATUS_TEXT[verdict.status] + (verdict.cause === 'none' ? '' : `: ${verdict.cause}`);
}

/** Non-zero deltas of counters that count events. */
export function movedCounters(snapshot: CounterSnapshot | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(snapshot ?? {}).filter(([name, value]) => value !== 0 && !GAUGES.has(name)));
}

/** 'local -> remote' from the connection's last report, or the local address alone. */
function subflowLabels(record: ConnectionRecord): Map<string, string> {
  const labels = new Map<string, string>();
  for (const detail of record.report?.subflowDetails ?? []) {
    if (!detail.local) continue;
    const key = formatHostPort(detail.local.address, detail.local.port);
    labels.set(key, detail.remote ? `${key} → ${formatHostPort(detail.remote.address, detail.remote.port)}` : key);
  }
  return labels;
}

function subflowsOf(record: ConnectionRecord, samples: ConnectionSample[]): TimelineSubflow[] {
  const labels = subflowLabels(record);
  const byKey = new Map<string, TimelineSubflow>();
  for (const sample of samples) {
    for (const [key, bytes] of Object.entries(sample.progress ?? {})) {
      let subflow = byKey.get(key);
      if (!subflow) byKey.set(key, (subflow = { key, label: labels.get(key) ?? key, points: [] }));
      subflow.points.push({ atMs: sample.atMs, bytes });
    }
  }
  return [...byKey.values()];
}

function statesOf(samples: ConnectionSample[], endMs: number): TimelineStateSpan[] {
  const spans: TimelineStateSpan[] = [];
  for (const sample of samples) {
    const current = spans.at(-1);
    if (current && current.state === sample.state) continue;
    if (current) current.toMs = sample.atMs;
    spans.push({ state: sample.state, fromMs: sample.atMs, toMs: endMs });
  }
  return spans;
}

export const TRANSFER_COMPLETE = '226 transfer complete';

/**
 * FTP steps, from the names the session gives its looks at a connection. A data connection's last
 * look ('end') is taken when its data ends, just before the client reads the transfer's final reply.
 */
function phaseLabel(phase: string, role: ConnectionRecord['role'], transferOk: boolean): string | undefined {
  if (phase === 'connect') return 'connected';
  if (phase === 'login') return 'logged in';
  if (phase === 'transfer-start') return 'transfer start';
  if (phase === 'end' && role === 'data') return transferOk ? TRANSFER_COMPLETE : 'transfer ended';
  const command = /^after-(PORT|EPRT|PASV|EPSV)$/i.exec(phase)?.[1];
  return command?.toUpperCase();
}

/**
 * The kernel's own word on how a subflow ended, by local address:port, when it names a cause (a
 * socket error or the peer's MP_TCPRST reason): every subflow is also "closed" when we close the
 * connection ourselves, and that says nothing.
 */
function kernelEnds(record: ConnectionRecord): Map<string, { reset: boolean; words: string }> {
  const ends = new Map<string, { reset: boolean; words: string }>();
  for (const subflow of record.kernel?.subflows ?? []) {
    if (!subflow.closed || (!subflow.error && !subflow.resetReason)) continue;
    ends.set(subflow.id.split(' -> ')[0]!, { reset: subflow.resetReason !== undefined || subflow.error === 'ECONNRESET', words: kernelWords(subflow) });
  }
  return ends;
}

function kernelWords(subflow: KernelSubflowEvidence): string {
  const parts = [subflow.end, subflow.resetReason && !subflow.end?.includes(subflow.resetReason) ? `reset reason: ${subflow.resetReason}` : undefined];
  return `the kernel: ${parts.filter(Boolean).join('; ') || subflow.error}`;
}

function markersOf(record: ConnectionRecord, context: RecordContext, samples: ConnectionSample[], subflows: TimelineSubflow[]): TimelineMarker[] {
  const markers: TimelineMarker[] = [];
  const kernel = kernelEnds(record);
  for (const sample of samples) {
    const label = phaseLabel(sample.phase, record.role, context.transferOk);
    if (label) markers.push({ atMs: sample.atMs, kind: 'phase', label, detail: `the look "${sample.phase}"` });
  }

  // Fallback: our MPTCP socket ran as plain TCP from the handshake, or from some look on.
  const first = samples[0];
  if (first && record.socket === 'mptcp' && first.state !== 'mptcp') {
    markers.push({ atMs: first.atMs, kind: 'fell-back', label: 'no MPTCP after the handshake', detail: `plain TCP from the first look (${first.phase}, ${first.atMs} ms)` });
  } else {
    const index = samples.findIndex((s, i) => i > 0 && s.state !== 'mptcp' && samples[i - 1]!.state === 'mptcp');
    if (index > 0) {
      const before = samples[index - 1]!;
      const after = samples[index]!;
      markers.push({
        atMs: after.atMs,
        kind: 'fell-back',
        label: 'fell back to TCP',
        detail: `MPTCP at ${before.phase} (${before.atMs} ms), plain TCP at ${after.phase} (${after.atMs} ms)`,
      });
    }
  }

  const firstMs = first?.atMs ?? 0;
  const lastMs = samples.at(-1)?.atMs ?? 0;
  const resets = RESET_COUNTERS.filter((name) => (context.counters[name] ?? 0) > 0).map((name) => `${name} +${context.counters[name]}`);
  for (const subflow of subflows) {
    const start = subflow.points[0]!;
    if (start.atMs > firstMs) {
      const previous = [...samples].reverse().find((s) => s.atMs < start.atMs);
      markers.push({
        atMs: start.atMs,
        kind: 'subflow-joined',
        label: 'joined',
        subflow: subflow.key,
        detail: `${subflow.label} first seen at ${start.atMs} ms${previous ? ` (not at ${previous.atMs} ms)` : ''}`,
      });
    }
    const end = subflow.points.at(-1)!;
    // Gone from the kernel's list of carrying subflows while the connection was still looked at.
    const later = samples.find((s) => s.atMs > end.atMs && s.state === 'mptcp');
    if (end.atMs < lastMs && later) {
      const said = kernel.get(subflow.key);
      markers.push({
        atMs: later.atMs,
        kind: said?.reset ? 'subflow-reset' : 'subflow-closed',
        label: said?.reset ? 'reset' : 'closed',
        subflow: subflow.key,
        detail:
          `${subflow.label} carried data until ${end.atMs} ms and was gone (or closing) at ${later.atMs} ms` +
          (said ? `; ${said.words}` : resets.length > 0 ? `; resets counted in this session (namespace-wide): ${resets.join(', ')}` : ''),
      });
    }
  }

  // The verdict's own rule: carried data, then stopped for 2 s while the others went on.
  const evidence = { role: record.role, mode: record.mode, socket: record.socket, samples, expectedSubflows: record.expectedSubflows, durationMs: record.durationMs };
  for (const key of stalledSubflows(evidence)) {
    const subflow = subflows.find((s) => s.key === key);
    const grewLast = subflow ? lastGrowthMs(subflow.points) : undefined;
    if (!subflow || grewLast === undefined) continue;
    markers.push({
      atMs: grewLast,
      kind: 'subflow-stalled',
      label: 'stopped carrying data',
      subflow: key,
      detail:
        `${subflow.label} last grew at ${grewLast} ms (${formatBytes(subflow.points.at(-1)!.bytes)}) and not after, while the other subflows went on` +
        (kernel.has(key) ? `; ${kernel.get(key)!.words}` : ''),
    });
  }

  if (record.role === 'control') {
    for (const anomaly of context.anomalies) {
      markers.push({ atMs: anomaly.atMs, kind: 'anomaly', label: `${anomaly.code} to ${anomaly.command}`, detail: `odd reply: ${anomaly.code} ${anomaly.text}` });
    }
    if (context.gaveUp) markers.push({ atMs: context.gaveUp.atMs, kind: 'gave-up', label: 'client gave up', detail: context.gaveUp.reason });
  }
  return markers.sort((a, b) => a.atMs - b.atMs);
}

export function timelineConnection(record: ConnectionRecord, id: string, context: RecordContext): TimelineConnection {
  const samples = [...record.samples].sort((a, b) => a.atMs - b.atMs);
  const startMs = samples[0]?.atMs ?? 0;
  const endMs = samples.at(-1)?.atMs ?? startMs;
  const subflows = subflowsOf(record, samples);
  return {
    id,
    label: record.label,
    role: record.role,
    mode: record.mode,
    status: { text: record.cause === 'none' ? record.status : `${record.status}: ${record.cause}`, tone: tone(record.status, record.cause) },
    startMs,
    endMs,
    states: statesOf(samples, endMs),
    subflows,
    markers: markersOf(record, context, samples, subflows),
    evidence: record.evidence,
  };
}

/**
 * The final reply of each transfer arrives on the control connection: its chart shows the steps of
 * the data connections' ends too, so one chart reads login, EPSV, transfer, 226 in order.
 */
export function withTransferEnds(connections: TimelineConnection[]): TimelineConnection[] {
  const ends = connections
    .filter((c) => c.role === 'data')
    .flatMap((c) => c.markers.filter((m) => m.kind === 'phase' && m.label === TRANSFER_COMPLETE).map((m) => ({ ...m, detail: `${m.label} on ${c.label}, read on the control connection` })));
  return connections.map((c) =>
    c.role === 'control' && ends.length > 0 ? { ...c, markers: [...c.markers, ...ends].sort((a, b) => a.atMs - b.atMs) } : c,
  );
}
