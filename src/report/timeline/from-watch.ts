// The adapter from a watch session (the kernel's MPTCP events, the counter reports and, with
// --report, a look at each subflow's bytes per interval) to the SessionTimeline: one group on the
// watch's clock, one connection per MPTCP token the events named. What the events say is drawn at
// the moment the event arrived; the kernel sends no event for a fallback, so none is drawn.
import { describeSubflowEnd, subflowErrorName } from '../../kernel/connection-timelines.js';
import { explainCounter } from '../../kernel/counter-explanations.js';
import type { MptcpEvent } from '../../kernel/mptcp-events.js';
import { formatToken } from '../../kernel/socket-token.js';
import type { ConnectionTag, SubflowLook, WatchRecord, WatchSummary } from '../../kernel/watch-timeline.js';
import { formatEndpoint } from '../../kernel/host-connections.js';
import { summaryText } from '../watch.js';
import { movedCounters } from './from-record.js';
import {
  SESSION_TIMELINE_VERSION, type SessionTimeline, type TimelineConnection, type TimelineMarker, type TimelineSubflow, type TimelineTone,
} from './session-timeline.js';

export interface WatchTimelineInput {
  /** What was watched, as shown: the host's name. */
  target: string;
  startedAt: Date;
  endedAt: Date;
  /** Every record the watch produced, in order. */
  records: readonly WatchRecord[];
  /** The looks at the subflows' bytes, in order (none when they were not taken). */
  looks: readonly SubflowLook[];
  /** How often the subflows were looked at; undefined when they were not. */
  lookIntervalMs?: number;
  summary: WatchSummary;
}

type EventRecord = Extract<WatchRecord, { type: 'event' }>;

/** One connection as the records build it up. */
interface ConnectionDraft {
  token: number;
  tag: ConnectionTag;
  startMs: number;
  closedMs?: number;
  subflows: Map<string, TimelineSubflow>;
  markers: TimelineMarker[];
  joined: number;
  ended: number;
  resets: number;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function endpointOf(address: string | undefined, port: number | undefined): string | undefined {
  return address === undefined ? undefined : formatEndpoint({ address, port: port ?? 0 });
}

/**
 * A subflow by its two ends: on the side that accepted the connection every subflow has the same
 * local address and port (the listener's), so the local end alone would not tell them apart.
 */
function subflowOf(draft: ConnectionDraft, local: string, remote: string | undefined): TimelineSubflow {
  const key = remote ? `${local} → ${remote}` : local;
  let subflow = draft.subflows.get(key);
  if (!subflow) draft.subflows.set(key, (subflow = { key, label: key, points: [] }));
  return subflow;
}

/** The subflow an event names (sub_* events carry its addresses), created on first mention. */
function eventSubflow(draft: ConnectionDraft, event: MptcpEvent): TimelineSubflow | undefined {
  const local = endpointOf(event.localAddress, event.localPort);
  return local ? subflowOf(draft, local, endpointOf(event.remoteAddress, event.remotePort)) : undefined;
}

function addEvent(draft: ConnectionDraft, record: EventRecord, atMs: number): void {
  const event = record.event;
  const marker = (kind: TimelineMarker['kind'], label: string, detail: string, subflow?: string) =>
    draft.markers.push({ atMs, kind, label, ...(subflow ? { subflow } : {}), detail });
  switch (event.type) {
    case 'created':
    case 'established': {
      // The initial subflow carries the connection's own addresses.
      const subflow = eventSubflow(draft, event);
      if (event.type === 'established') marker('phase', 'established', `MPTCP established${subflow ? ` on ${subflow.label}` : ''}`);
      return;
    }
    case 'sub_established': {
      const subflow = eventSubflow(draft, event);
      draft.joined += 1;
      const ids = event.localId !== undefined ? ` (address ids ${event.localId}/${event.remoteId ?? '?'})` : '';
      marker('subflow-joined', 'joined', `${subflow?.label ?? 'a subflow'} joined the connection${ids}${event.backup ? ', as a backup' : ''}`, subflow?.key);
      return;
    }
    case 'sub_closed': {
      const subflow = eventSubflow(draft, event);
      // The peer's MP_TCPRST reason (RFC 8684 section 3.6), or a plain RST: a reset, not a close.
      const reset = event.resetReason !== undefined || (event.error !== undefined && subflowErrorName(event.error) === 'ECONNRESET');
      draft.ended += 1;
      if (reset) draft.resets += 1;
      marker(reset ? 'subflow-reset' : 'subflow-closed', reset ? 'reset' : 'closed', `${subflow?.label ?? 'a subflow'}: ${describeSubflowEnd(event)}`, subflow?.key);
      return;
    }
    case 'sub_priority': {
      const subflow = eventSubflow(draft, event);
      marker('phase', event.backup ? 'backup' : 'not backup', `${subflow?.label ?? 'a subflow'} ${event.backup ? 'became a backup subflow' : 'is no longer a backup'} (MP_PRIO)`, subflow?.key);
      return;
    }
    case 'announced': {
      const address = endpointOf(event.remoteAddress, event.remotePort)?.replace(/:0$/, '') ?? 'an address';
      marker('phase', 'address announced', `the peer announced ${address}${event.remoteId !== undefined ? ` (id ${event.remoteId})` : ''} (ADD_ADDR, RFC 8684 section 3.4.1)`);
      return;
    }
    case 'removed':
      marker('phase', 'address removed', `the peer removed address id ${event.remoteId ?? '?'} (REMOVE_ADDR, RFC 8684 section 3.4.2)`);
      return;
    case 'closed':
      draft.closedMs = atMs;
      marker('phase', 'connection closed', 'the MPTCP connection closed');
      return;
    default:
  }
}

/** "10.1.1.1:45018 -> 10.1.100.2:21 (curl/1234)": the addresses and the program, as watch's lines show them. */
function connectionLabel(draft: ConnectionDraft): string {
  const first = [...draft.subflows.values()][0];
  const addresses = draft.tag.local && draft.tag.remote ? `${draft.tag.local} -> ${draft.tag.remote}` : first ? first.label.replace(' → ', ' -> ') : `token ${formatToken(draft.token)}`;
  const process = draft.tag.process;
  return process ? `${addresses} (${process.command}/${process.pid})` : addresses;
}

function finishConnection(draft: ConnectionDraft, id: string, watchEndMs: number): TimelineConnection {
  const subflows = [...draft.subflows.values()];
  for (const subflow of subflows) subflow.points.sort((a, b) => a.atMs - b.atMs);
  const markers = draft.markers.sort((a, b) => a.atMs - b.atMs);
  const lastSeen = Math.max(draft.startMs, ...markers.map((m) => m.atMs), ...subflows.flatMap((s) => s.points.map((p) => p.atMs)));
  const endMs = Math.max(draft.closedMs ?? watchEndMs, lastSeen);
  const side = draft.tag.serverSide
    ? 'server side: accepted on this host'
    : draft.tag.local ? 'client side: opened from this host' : 'opened before the watch started (its created event was not seen)';
  const statusParts = [plural(subflows.length, 'subflow'), ...(draft.resets > 0 ? [plural(draft.resets, 'reset')] : []), draft.closedMs === undefined ? 'open at the end of the watch' : 'closed'];
  return {
    id,
    label: connectionLabel(draft),
    role: 'other',
    status: { text: statusParts.join(', '), tone: draft.resets > 0 ? 'warn' : 'good' },
    startMs: draft.startMs,
    endMs,
    // The events carry no fallback: a connection is drawn as MPTCP throughout.
    states: [{ state: 'mptcp', fromMs: draft.startMs, toMs: endMs }],
    subflows,
    markers,
    evidence: [`token ${formatToken(draft.token)} on this host`, side],
  };
}

/** Adds up each counter's deltas over the whole watch. */
function summedCounters(records: readonly WatchRecord[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const record of records) {
    if (record.type !== 'counters') continue;
    for (const [name, delta] of Object.entries(record.deltas)) sums[name] = (sums[name] ?? 0) + delta;
  }
  return movedCounters(sums);
}

export function timelineFromWatch(input: WatchTimelineInput): SessionTimeline {
  const origin = input.startedAt.getTime();
  const at = (time: Date) => Math.max(0, time.getTime() - origin);
  const watchEndMs = at(input.endedAt);
  const drafts = new Map<number, ConnectionDraft>();
  let lost = 0;
  let unavailable: string | undefined;

  for (const record of input.records) {
    if (record.type === 'loss') lost += record.overflows;
    if (record.type === 'events-unavailable') unavailable = record.message;
    if (record.type !== 'event' || record.event.token === undefined) continue;
    const token = record.event.token;
    let draft = drafts.get(token);
    if (!draft) {
      draft = { token, tag: {}, startMs: at(record.time), subflows: new Map(), markers: [], joined: 0, ended: 0, resets: 0 };
      drafts.set(token, draft);
    }
    // The program may be named on a later line than the first (the lookup is batched).
    if (record.connection) draft.tag = { ...draft.tag, ...Object.fromEntries(Object.entries(record.connection).filter(([, v]) => v !== undefined)) };
    addEvent(draft, record, at(record.time));
  }

  for (const look of input.looks) {
    for (const subflow of look.subflows) {
      const draft = drafts.get(subflow.token);
      if (draft) subflowOf(draft, subflow.local, subflow.remote).points.push({ atMs: at(look.time), bytes: subflow.bytes });
    }
  }

  const all = [...drafts.values()];
  const connections = all.map((draft, i) => finishConnection(draft, `g0-c${i}`, watchEndMs));
  const total = (count: (draft: ConnectionDraft) => number) => all.reduce((n, draft) => n + count(draft), 0);
  const resets = total((d) => d.resets);
  const moved = summedCounters(input.records);

  const headline: { text: string; tone: TimelineTone } = unavailable
    ? { text: `MPTCP events not available (${unavailable}): counters only`, tone: 'neutral' }
    : {
      text: `${plural(all.length, 'MPTCP connection')} seen, ${plural(total((d) => d.joined), 'subflow')} joined, ${total((d) => d.ended)} closed or reset`,
      tone: resets > 0 || lost > 0 ? 'warn' : all.length > 0 ? 'good' : 'neutral',
    };
  const sampling = input.lookIntervalMs !== undefined && !unavailable
    ? `each subflow's bytes looked at every ${input.lookIntervalMs / 1000} s (tcp_info through sock_diag)`
    : "no subflow's bytes were looked at: the charts show events only";
  const summary = [
    `${input.startedAt.toISOString()} to ${input.endedAt.toISOString()}: ${summaryText(input.summary)}`,
    sampling,
    ...(resets > 0 ? [`${plural(resets, 'subflow')} reset`] : []),
    ...(lost > 0 ? [`the kernel dropped events ${lost} times (ENOBUFS): some connections miss lines`] : []),
  ];
  return {
    version: SESSION_TIMELINE_VERSION,
    command: 'watch',
    target: input.target,
    headline,
    summary,
    advice: unavailable ? ['run watch as root (CAP_NET_ADMIN) to hear the kernel\'s MPTCP events: without them there is no connection to draw'] : [],
    evidence: Object.entries(moved).map(([name, delta]) => `${name} ${delta > 0 ? '+' : ''}${delta}: ${explainCounter(name, delta)}`),
    counters: [{ label: 'this network namespace', moved }],
    groups: [{ label: 'watch session', clock: 'the watch started', connections }],
  };
}
