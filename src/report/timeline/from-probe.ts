// The one adapter from a probe's result to the SessionTimeline the pictures are drawn from. It reads
// only what `probe --json` carries (samples every 250 ms with per-subflow byte counts, phase names,
// states, run counters), so the same function works on a saved JSON result.
import { formatHostPort } from '../../net/address.js';
import type { ConnectionSample } from '../../probe/evidence.js';
import { stalledSubflows } from '../../probe/evidence-facts.js';
import type { ProbeResult } from '../../probe/probe.js';
import type { ProbeConnection, ProbeRun } from '../../probe/run-mode.js';
import type { Verdict } from '../../probe/verdict.js';
import { formatBytes } from '../units.js';
import { lastGrowthMs } from './series.js';
import {
  SESSION_TIMELINE_VERSION, type SessionTimeline, type TimelineConnection, type TimelineCounters, type TimelineMarker,
  type TimelineStateSpan, type TimelineSubflow, type TimelineTone,
} from './session-timeline.js';

const STATUS_TEXT: Record<Verdict['status'], string> = {
  held: 'MPTCP held',
  degraded: 'MPTCP held but degraded',
  'fell-back': 'MPTCP fell back to TCP',
  'not-attempted': 'MPTCP not attempted',
};

/** Counters with a level, not a count of events: their delta says nothing about the session. */
const GAUGES = new Set(['MPCurrEstab']);

/** Resets counted in the run (namespace-wide: they cannot be tied to one subflow). */
const RESET_COUNTERS = ['MPRstTx', 'MPRstRx', 'DSSCorruptionReset'];

function tone(status: Verdict['status'], cause: string): TimelineTone {
  if (status === 'held') return 'good';
  if (status === 'degraded') return 'warn';
  return status === 'not-attempted' && cause === 'none' ? 'neutral' : 'bad';
}

function verdictText(verdict: Pick<Verdict, 'status' | 'cause'>): string {
  return STATUS_TEXT[verdict.status] + (verdict.cause === 'none' ? '' : `: ${verdict.cause}`);
}

function connectionLabel(c: ProbeConnection): string {
  if (c.role === 'control') return 'control';
  return c.purpose === 'transfer' ? `data ${c.mode}` : `data ${c.mode} (${c.purpose})`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** 'local -> remote' from the connection's last report, or the local address alone. */
function subflowLabels(c: ProbeConnection): Map<string, string> {
  const labels = new Map<string, string>();
  for (const detail of c.final?.subflowDetails ?? []) {
    if (!detail.local) continue;
    const key = formatHostPort(detail.local.address, detail.local.port);
    labels.set(key, detail.remote ? `${key} → ${formatHostPort(detail.remote.address, detail.remote.port)}` : key);
  }
  return labels;
}

function subflowsOf(c: ProbeConnection, samples: ConnectionSample[]): TimelineSubflow[] {
  const labels = subflowLabels(c);
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

/** FTP steps, from the names the probe gives its looks at a connection. */
function phaseLabel(phase: string, transferOk: boolean): string | undefined {
  if (phase === 'connect') return 'connected';
  if (phase === 'login') return 'logged in';
  if (phase === 'transfer-start') return 'transfer start';
  if (phase === 'after-transfer') return transferOk ? '226 transfer complete' : 'transfer ended';
  const command = /^after-(PORT|EPRT|PASV|EPSV)$/i.exec(phase)?.[1];
  return command?.toUpperCase();
}

function movedResets(run: ProbeRun): string[] {
  return RESET_COUNTERS.filter((name) => (run.counters.client[name] ?? 0) > 0).map((name) => `${name} +${run.counters.client[name]}`);
}

function markersOf(c: ProbeConnection, run: ProbeRun, samples: ConnectionSample[], subflows: TimelineSubflow[]): TimelineMarker[] {
  const markers: TimelineMarker[] = [];
  const transferOk = !run.error && run.transfers.every((t) => !t.error);
  for (const sample of samples) {
    const label = phaseLabel(sample.phase, transferOk);
    if (label) markers.push({ atMs: sample.atMs, kind: 'phase', label, detail: `the probe's look "${sample.phase}"` });
  }

  // Fallback: our MPTCP socket ran as plain TCP from the handshake, or from some look on.
  const first = samples[0];
  if (first && c.socket === 'mptcp' && first.state !== 'mptcp') {
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
  const resets = movedResets(run);
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
      markers.push({
        atMs: later.atMs,
        kind: 'subflow-closed',
        label: 'closed',
        subflow: subflow.key,
        detail:
          `${subflow.label} carried data until ${end.atMs} ms and was gone (or closing) at ${later.atMs} ms` +
          (resets.length > 0 ? `; resets counted in this run (namespace-wide): ${resets.join(', ')}` : ''),
      });
    }
  }

  // The verdict's own rule: carried data, then stopped for 2 s while the others went on.
  const evidenceView = { role: c.role, mode: c.mode, socket: c.socket, samples, expectedSubflows: c.expectedSubflows, durationMs: c.durationMs };
  for (const key of stalledSubflows(evidenceView)) {
    const subflow = subflows.find((s) => s.key === key);
    const grewLast = subflow ? lastGrowthMs(subflow.points) : undefined;
    if (!subflow || grewLast === undefined) continue;
    markers.push({
      atMs: grewLast,
      kind: 'subflow-stalled',
      label: 'stopped carrying data',
      subflow: key,
      detail: `${subflow.label} last grew at ${grewLast} ms (${formatBytes(subflow.points.at(-1)!.bytes)}) and not after, while the other subflows went on`,
    });
  }

  if (c.role === 'control') {
    for (const anomaly of run.anomalies) {
      markers.push({ atMs: anomaly.atMs, kind: 'anomaly', label: `${anomaly.code} to ${anomaly.command}`, detail: `odd reply: ${anomaly.code} ${anomaly.text}` });
    }
    if (run.gaveUp) markers.push({ atMs: run.gaveUp.atMs, kind: 'gave-up', label: 'client gave up', detail: run.gaveUp.reason });
  }
  return markers.sort((a, b) => a.atMs - b.atMs);
}

function connectionOf(c: ProbeConnection, run: ProbeRun, id: string): TimelineConnection {
  const samples = [...c.samples].sort((a, b) => a.atMs - b.atMs);
  const startMs = samples[0]?.atMs ?? 0;
  const endMs = samples.at(-1)?.atMs ?? startMs;
  const subflows = subflowsOf(c, samples);
  return {
    id,
    label: connectionLabel(c),
    role: c.role,
    mode: c.mode,
    status: { text: c.cause === 'none' ? c.status : `${c.status}: ${c.cause}`, tone: tone(c.status, c.cause) },
    startMs,
    endMs,
    states: statesOf(samples, endMs),
    subflows,
    markers: markersOf(c, run, samples, subflows),
    evidence: c.evidence,
  };
}

function moved(snapshot: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(snapshot ?? {}).filter(([name, value]) => value !== 0 && !GAUGES.has(name)));
}

function summaryOf(result: ProbeResult): string[] {
  const t = result.transfer;
  const rate = t.seconds > 0 ? ` at ${formatBytes(t.bytes / t.seconds)}/s` : '';
  const digest = t.matched === null ? (t.notVerified ? `, not verified (${t.notVerified})` : '') : t.matched ? ', SHA-256 matched' : ', SHA-256 MISMATCH';
  const lines = [`transferred ${formatBytes(t.bytes)} in ${t.seconds.toFixed(2)} s${rate}${digest}`];
  lines.push(`far end: ${result.target.server === 'serve' ? 'mptcp-doctor serve' : 'FTP server'}; ${result.runs.length} run${result.runs.length === 1 ? '' : 's'} in ${seconds(result.durationMs)}`);
  for (const run of result.runs) {
    if (run.error) lines.push(`${run.mode} mode ${run.outcome === 'could-not-run' ? 'could not run' : 'stopped'}: ${run.error.message}`);
  }
  return lines;
}

export function timelineFromProbe(result: ProbeResult): SessionTimeline {
  const counters: TimelineCounters[] = [{ label: 'client', moved: moved(result.counters.client) }];
  if (result.counters.server) counters.push({ label: 'server', moved: moved(result.counters.server) });
  result.runs.forEach((run) => {
    const after = moved(run.counters.clientAfterGiveUp);
    if (run.gaveUp && Object.keys(after).length > 0) counters.push({ label: `client, ${run.mode} mode, after the client gave up (${run.gaveUp.reason}): not judged`, moved: after });
  });
  const couldNotRun = result.outcome === 'could-not-run' && result.error;
  return {
    version: SESSION_TIMELINE_VERSION,
    command: 'probe',
    target: result.target.url,
    headline: couldNotRun
      ? { text: result.error!.message, tone: 'bad' }
      : { text: verdictText(result.verdict), tone: tone(result.verdict.status, result.verdict.cause) },
    summary: [...(couldNotRun ? [`what was observed before: ${verdictText(result.verdict)}`] : []), ...summaryOf(result)],
    advice: result.verdict.advice,
    evidence: result.verdict.evidence,
    counters,
    groups: result.runs.map((run, g) => ({
      label: `${run.mode} mode`,
      headline: { text: verdictText(run.verdict), tone: tone(run.verdict.status, run.verdict.cause) },
      connections: run.connections.map((c, i) => connectionOf(c, run, `g${g}-c${i}`)),
    })),
  };
}
