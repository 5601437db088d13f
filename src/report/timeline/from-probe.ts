// The adapter from a probe's result to the SessionTimeline the pictures are drawn from: one group per
// run (data mode), its connection records drawn by from-record.ts. It reads only what `probe --json`
// prints, so it works on a saved result as well as on a live one.
import { runConnections, type ProbeResult } from '../../probe/probe.js';
import { formatBytes } from '../units.js';
import { movedCounters, timelineConnection, tone, verdictText, withTransferEnds } from './from-record.js';
import { SESSION_TIMELINE_VERSION, type SessionTimeline, type TimelineCounters } from './session-timeline.js';

function summaryOf(result: ProbeResult): string[] {
  const t = result.transfer;
  const rate = t.seconds > 0 ? ` at ${formatBytes(t.bytes / t.seconds)}/s` : '';
  const digest = t.matched === null ? (t.notVerified ? `, not verified (${t.notVerified})` : '') : t.matched ? ', SHA-256 matched' : ', SHA-256 MISMATCH';
  const lines = [`transferred ${formatBytes(t.bytes)} in ${t.seconds.toFixed(2)} s${rate}${digest}`];
  lines.push(`far end: ${result.target.server === 'serve' ? 'mptcp-doctor serve' : 'FTP server'}; ${result.runs.length} run${result.runs.length === 1 ? '' : 's'} in ${(result.durationMs / 1000).toFixed(2)} s`);
  for (const run of result.runs) {
    if (run.error) lines.push(`${run.mode} mode ${run.outcome === 'could-not-run' ? 'could not run' : 'stopped'}: ${run.error.message}`);
  }
  return [...lines, ...result.notes];
}

export function timelineFromProbe(result: ProbeResult): SessionTimeline {
  const counters: TimelineCounters[] = [{ label: 'client', moved: movedCounters(result.counters.client) }];
  if (result.counters.server) counters.push({ label: 'server', moved: movedCounters(result.counters.server) });
  result.runs.forEach((run) => {
    const after = movedCounters(run.counters.clientAfterGiveUp);
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
    groups: result.runs.map((run, g) => {
      const context = {
        transferOk: !run.error && run.transfers.every((t) => !t.error),
        anomalies: run.anomalies,
        ...(run.gaveUp ? { gaveUp: run.gaveUp } : {}),
        counters: run.counters.client,
      };
      return {
        label: `${run.mode} mode`,
        headline: { text: verdictText(run.verdict), tone: tone(run.verdict.status, run.verdict.cause) },
        connections: withTransferEnds(runConnections(result, g).map((record, i) => timelineConnection(record, `g${g}-c${i}`, context))),
      };
    }),
  };
}
