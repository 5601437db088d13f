// The adapter from one get or put (a session whose step was the file transfer) to the SessionTimeline:
// one group, the same connection records as a probe's. Nothing here knows the command's options:
// the command passes what it printed.
import type { SessionOutcome } from '../../session/session.js';
import { formatBytes } from '../units.js';
import { movedCounters, timelineConnection, tone, verdictText, withTransferEnds } from './from-record.js';
import { SESSION_TIMELINE_VERSION, type SessionTimeline, type TimelineCounters } from './session-timeline.js';

export interface TransferTimelineInput {
  command: 'get' | 'put';
  /** The remote URL as shown (no password). */
  target: string;
  direction: 'download' | 'upload';
  /** Bytes this run moved, and how long the transfer took. */
  bytes: number;
  durationMs: number;
  /** The notes the command printed. */
  notes: readonly string[];
  session: Pick<SessionOutcome<unknown>, 'records' | 'verdict' | 'counters' | 'anomalies' | 'gaveUp' | 'failure'>;
}

export function timelineFromTransfer(input: TransferTimelineInput): SessionTimeline {
  const { session } = input;
  const counters: TimelineCounters[] = [{ label: 'client', moved: movedCounters(session.counters.client.mptcp) }];
  if (session.counters.server) counters.push({ label: 'server', moved: movedCounters(session.counters.server) });
  const after = movedCounters(session.counters.clientAfterGiveUp?.mptcp);
  if (session.gaveUp && Object.keys(after).length > 0) counters.push({ label: `client, after the client gave up (${session.gaveUp.reason}): not judged`, moved: after });
  const rate = input.durationMs > 0 ? ` at ${formatBytes((input.bytes * 1000) / input.durationMs)}/s` : '';
  const verb = input.direction === 'download' ? 'downloaded' : 'uploaded';
  const context = {
    transferOk: !session.failure,
    anomalies: session.anomalies,
    ...(session.gaveUp ? { gaveUp: session.gaveUp } : {}),
    counters: session.counters.client.mptcp,
  };
  const headline = { text: verdictText(session.verdict), tone: tone(session.verdict.status, session.verdict.cause) };
  return {
    version: SESSION_TIMELINE_VERSION,
    command: input.command,
    target: input.target,
    headline,
    summary: [`${verb} ${formatBytes(input.bytes)} in ${(input.durationMs / 1000).toFixed(2)} s${rate}`, ...input.notes],
    advice: session.verdict.advice,
    evidence: session.verdict.evidence,
    counters,
    groups: [
      {
        label: input.direction,
        headline,
        connections: withTransferEnds(session.records.map((record, i) => timelineConnection(record, `g0-c${i}`, context))),
      },
    ],
  };
}
