// Lines of `watch`: one per kernel event, one per counter that moved, and the NDJSON records.
import type { WatchRecord, WatchSummary } from '../kernel/watch-timeline.js';
import { formatEndpoint } from '../kernel/host-connections.js';
import { describeResetReason } from '../kernel/mptcp-events.js';
import { paint } from './paint.js';
import { wrapText } from './wrap.js';

const WIDTH = 80;
const TYPE_WIDTH = 16;

/** errno numbers a subflow's sk_err usually holds, by name. */
const ERRNO_NAMES: Record<number, string> = {
  32: 'EPIPE', 103: 'ECONNABORTED', 104: 'ECONNRESET', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH', 101: 'ENETUNREACH',
};

function clock(time: Date): string {
  return time.toISOString().slice(11, 23);
}

function eventColor(type: string): 'green' | 'red' | 'yellow' | 'blue' | undefined {
  if (type === 'established' || type === 'sub_established') return 'green';
  if (type === 'sub_closed' || type === 'closed') return 'red';
  if (type === 'announced' || type === 'removed') return 'yellow';
  return undefined;
}

/** What an event says beyond its type, in words. */
export function eventDetails(record: Extract<WatchRecord, { type: 'event' }>): string {
  const e = record.event;
  const parts: string[] = [];
  if (record.token) parts.push(`token ${record.token}`);
  const addresses = e.localAddress !== undefined || e.remoteAddress !== undefined;
  if (e.type === 'announced' || e.type === 'removed') {
    if (e.remoteAddress) parts.push(`peer address ${formatEndpoint({ address: e.remoteAddress, port: e.remotePort ?? 0 }).replace(/:0$/, '')}`);
    if (e.remoteId !== undefined) parts.push(`id ${e.remoteId}`);
  } else if (e.type === 'listener_created' || e.type === 'listener_closed') {
    if (e.localAddress) parts.push(formatEndpoint({ address: e.localAddress, port: e.localPort ?? 0 }));
  } else if (addresses) {
    parts.push(`${formatEndpoint({ address: e.localAddress ?? '?', port: e.localPort ?? 0 })} -> ${formatEndpoint({ address: e.remoteAddress ?? '?', port: e.remotePort ?? 0 })}`);
    if ((e.type.startsWith('sub_')) && e.localId !== undefined) parts.push(`id ${e.localId}/${e.remoteId ?? '?'}`);
  } else if (record.connection?.local) {
    parts.push(`${record.connection.local} -> ${record.connection.remote}`);
  }
  if (e.serverSide) parts.push('server side');
  if (e.backup) parts.push('backup');
  if (e.error) parts.push(`error ${ERRNO_NAMES[e.error] ?? `errno ${e.error}`}`);
  if (e.resetReason !== undefined) {
    parts.push(`reset by the peer: ${describeResetReason(e.resetReason)}${e.resetTransient ? ' (transient)' : ''}`);
  }
  if (e.denyJoinId0) parts.push('peer denies joins to its first address');
  const process = record.connection?.process;
  if (process) parts.push(`${process.command}/${process.pid}`);
  return parts.join(', ');
}

export function formatWatchLine(record: WatchRecord, color: boolean): string {
  const time = paint(color, 'dim', clock(record.time));
  switch (record.type) {
    case 'event': {
      const type = record.event.type.padEnd(TYPE_WIDTH);
      const tinted = eventColor(record.event.type);
      const head = `${time}  ${tinted ? paint(color, tinted, type) : type}`;
      return wrapText(eventDetails(record), WIDTH + (head.length - 14 - TYPE_WIDTH), ' '.repeat(14 + TYPE_WIDTH), `${head} `);
    }
    case 'loss':
      return `${time}  ${paint(color, 'red', 'EVENTS LOST'.padEnd(TYPE_WIDTH))} the kernel dropped events (ENOBUFS x${record.overflows}): the receive buffer overflowed`;
    case 'counters':
      return Object.entries(record.deltas)
        .map(([name, delta]) => wrapText(`${name} ${delta > 0 ? '+' : ''}${delta}: ${record.explanations[name]}`, WIDTH, ' '.repeat(14 + TYPE_WIDTH), `${time}  ${'counter'.padEnd(TYPE_WIDTH)} `))
        .join('\n');
    case 'events-unavailable':
      return `${time}  ${record.message}: watching the MPTcpExt counters only`;
  }
}

export const WATCH_SCHEMA = 'mptcp-doctor/watch/v1';

/** One NDJSON line. */
export function watchJsonLine(record: WatchRecord): string {
  const { time, ...rest } = record;
  return JSON.stringify({ schema: WATCH_SCHEMA, ...rest, time: time.toISOString() });
}

export function summaryJsonLine(summary: WatchSummary): string {
  return JSON.stringify({ schema: WATCH_SCHEMA, type: 'summary', ...summary });
}

export function summaryText(summary: WatchSummary): string {
  const lost = summary.overflows > 0 ? `, EVENTS LOST (ENOBUFS x${summary.overflows})` : ', none lost';
  const events = summary.eventsAvailable ? `${summary.events} events${lost}` : 'events not available';
  return `watched ${(summary.durationMs / 1000).toFixed(1)} s: ${events}; ${summary.counterReports} counter reports`;
}
