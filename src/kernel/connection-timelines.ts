// Per-connection timelines from the kernel's MPTCP events (pure): for each token asked for, what
// happened to the connection and to each of its subflows, in the kernel's own words. The probe
// reads the token of each of its sockets (mptcpTokenOfSocket), collects the records of a
// subscription (subscribeMptcpEvents) while it runs, and hands both here.
//
// What the events can and cannot say (Linux 6.x, checked on 6.18; docs/kernel-observation.md):
// - created/established carry the addresses of the first (MP_CAPABLE) subflow; sub_established
//   and sub_closed those of the subflow concerned; removed carries only the address id;
// - sub_closed carries the subflow's socket error (sk_err, an errno) when it had one, and the
//   MP_TCPRST reason (RFC 8684 section 3.6) when the peer's RST carried one and the kernel took it;
// - a join the peer refuses at its third ACK is closed by this host's kernel before the peer's
//   reason is read: sub_established, then sub_closed with neither error nor reason.
import type { MptcpEventRecord } from './mptcp-event-stream.js';
import { describeResetReason, type MptcpEvent, type MptcpEventType } from './mptcp-events.js';
import { formatToken } from './socket-token.js';

/** A decoded event, or a record of a subscription (events with their arrival time, losses). */
export type TimelineInput = MptcpEvent | MptcpEventRecord;

export interface TimelineEndpoint {
  address: string;
  port: number;
}

export interface TimelineEntry {
  type: MptcpEventType;
  /** Date.now() when the kernel's batch holding the event was read; absent for bare events. */
  at?: number;
  /** The subflow concerned ("10.0.0.1:40000 -> 10.0.0.2:21"): subflow events, and created/established (the first subflow). */
  subflow?: string;
  /** announced/removed: the peer's address (removed names only its id). */
  peerAddress?: { id?: number; address?: string; port?: number };
  error?: number;
  errorName?: string;
  resetReason?: number;
  resetReasonText?: string;
  resetTransient?: boolean;
  backup?: boolean;
}

export interface SubflowTimeline {
  /** "10.0.0.1:40000 -> 10.0.0.2:21" */
  id: string;
  local: TimelineEndpoint;
  remote: TimelineEndpoint;
  localId?: number;
  remoteId?: number;
  backup?: boolean;
  /** The MP_CAPABLE subflow the connection began with; the others joined (MP_JOIN). */
  initial: boolean;
  /** An establishment was seen (established for the first subflow, sub_established for joins). */
  established: boolean;
  establishedAt?: number;
  state: 'open' | 'closed';
  closedAt?: number;
  /** The subflow's socket error when it closed (an errno number) and its name. */
  error?: number;
  errorName?: string;
  /** The peer's MP_TCPRST reason, when its reset carried one. */
  resetReason?: number;
  resetReasonText?: string;
  resetTransient?: boolean;
  /** How it ended, in words ("reset by the peer: middlebox interference (ECONNRESET)"); absent while open. */
  end?: string;
  /** It had no sub_closed of its own: it ended when the whole connection closed (the normal end). */
  closedWithConnection?: boolean;
}

export interface PeerAddressTimeline {
  id?: number;
  address?: string;
  port?: number;
  announcedAt?: number;
  removed: boolean;
  removedAt?: number;
}

export interface ConnectionTimeline {
  token: number;
  /** The token as ss and `ip mptcp monitor` print it. */
  tokenHex: string;
  /** Every event of this connection, in arrival order. */
  entries: TimelineEntry[];
  /** The first subflow first, then the others in the order the events named them. */
  subflows: SubflowTimeline[];
  /** Addresses the peer announced (ADD_ADDR) and whether it removed them later (REMOVE_ADDR). */
  peerAddresses: PeerAddressTimeline[];
  serverSide?: boolean;
  established: boolean;
  closed: boolean;
  /**
   * The kernel dropped events (ENOBUFS) somewhere in the input: this timeline may lack some.
   * Without loss records in the input (bare events), always false.
   */
  eventsMayBeMissing: boolean;
}

/** errno values a subflow's sk_err holds in practice, by name and in words. */
const SUBFLOW_ERRORS: Record<number, [string, string]> = {
  32: ['EPIPE', 'broken pipe'],
  101: ['ENETUNREACH', 'network unreachable'],
  103: ['ECONNABORTED', 'aborted on this host'],
  104: ['ECONNRESET', 'reset'],
  110: ['ETIMEDOUT', 'timed out: the path stopped answering'],
  111: ['ECONNREFUSED', 'refused'],
  113: ['EHOSTUNREACH', 'host unreachable'],
};

export function subflowErrorName(errno: number): string {
  return SUBFLOW_ERRORS[errno]?.[0] ?? `errno ${errno}`;
}

/** How a subflow ended, from its sub_closed event. */
export function describeSubflowEnd(end: { error?: number; resetReason?: number; resetTransient?: boolean }, established = true): string {
  const name = end.error !== undefined ? subflowErrorName(end.error) : undefined;
  if (end.resetReason !== undefined) {
    return `reset by the peer: ${describeResetReason(end.resetReason)}${end.resetTransient ? ' (transient)' : ''}${name ? ` (${name})` : ''}`;
  }
  if (end.error !== undefined) return `${SUBFLOW_ERRORS[end.error]?.[1] ?? 'failed'} (${name})`;
  return established ? 'closed, with neither an error nor a reason from the peer' : 'closed before it was established';
}

function endpointText(e: TimelineEndpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** The subflow an event names, when it carries both addresses. */
function subflowOf(event: MptcpEvent): { id: string; local: TimelineEndpoint; remote: TimelineEndpoint } | undefined {
  if (event.localAddress === undefined || event.remoteAddress === undefined) return undefined;
  const local = { address: event.localAddress, port: event.localPort ?? 0 };
  const remote = { address: event.remoteAddress, port: event.remotePort ?? 0 };
  return { id: `${endpointText(local)} -> ${endpointText(remote)}`, local, remote };
}

function emptyTimeline(token: number): ConnectionTimeline {
  return { token, tokenHex: formatToken(token), entries: [], subflows: [], peerAddresses: [], established: false, closed: false, eventsMayBeMissing: false };
}

/**
 * One timeline per token asked for (also for a token no event named: its timeline is empty), from
 * events in arrival order. Events of other connections are ignored.
 */
export function buildConnectionTimelines(input: Iterable<TimelineInput>, tokens: Iterable<number>): Map<number, ConnectionTimeline> {
  const timelines = new Map<number, ConnectionTimeline>();
  for (const token of tokens) timelines.set(token, emptyTimeline(token));
  let lost = false;
  for (const item of input) {
    if ('kind' in item && item.kind === 'loss') {
      lost = true;
      continue;
    }
    const event = 'kind' in item ? item.event : item;
    const at = 'kind' in item ? item.receivedAt : undefined;
    const timeline = event.token !== undefined ? timelines.get(event.token) : undefined;
    if (timeline) apply(timeline, event, at);
  }
  if (lost) for (const timeline of timelines.values()) timeline.eventsMayBeMissing = true;
  return timelines;
}

function apply(timeline: ConnectionTimeline, event: MptcpEvent, at: number | undefined): void {
  const entry: TimelineEntry = { type: event.type, ...(at !== undefined ? { at } : {}) };
  const where = subflowOf(event);
  const subflow = () => {
    let found = where ? timeline.subflows.find((s) => s.id === where.id) : undefined;
    if (!found && where) {
      found = { ...where, initial: false, established: false, state: 'open' };
      timeline.subflows.push(found);
    }
    if (found) {
      if (event.localId !== undefined) found.localId = event.localId;
      if (event.remoteId !== undefined) found.remoteId = event.remoteId;
      if (event.backup !== undefined) found.backup = event.backup;
    }
    return found;
  };
  switch (event.type) {
    case 'created':
    case 'established': {
      if (event.serverSide !== undefined) timeline.serverSide = event.serverSide;
      const first = subflow();
      if (first) {
        first.initial = true;
        // The first subflow leads the list whatever the order the events came in.
        timeline.subflows = [first, ...timeline.subflows.filter((s) => s !== first)];
        if (event.type === 'established') {
          first.established = true;
          if (at !== undefined) first.establishedAt = at;
        }
      }
      if (event.type === 'established') timeline.established = true;
      break;
    }
    case 'sub_established': {
      const joined = subflow();
      if (joined) {
        joined.established = true;
        joined.state = 'open';
        if (at !== undefined) joined.establishedAt = at;
      }
      if (event.backup !== undefined) entry.backup = event.backup;
      break;
    }
    case 'sub_closed': {
      const gone = subflow();
      const end = {
        ...(event.error !== undefined ? { error: event.error, errorName: subflowErrorName(event.error) } : {}),
        ...(event.resetReason !== undefined ? { resetReason: event.resetReason, resetReasonText: event.resetReasonText ?? describeResetReason(event.resetReason) } : {}),
        ...(event.resetTransient !== undefined && event.resetReason !== undefined ? { resetTransient: event.resetTransient } : {}),
      };
      Object.assign(entry, end);
      if (gone) {
        Object.assign(gone, end, { state: 'closed' as const, end: describeSubflowEnd(event, gone.established) });
        if (at !== undefined) gone.closedAt = at;
      }
      break;
    }
    case 'sub_priority': {
      subflow();
      if (event.backup !== undefined) entry.backup = event.backup;
      break;
    }
    case 'announced': {
      const address = { ...(event.remoteId !== undefined ? { id: event.remoteId } : {}), ...(event.remoteAddress !== undefined ? { address: event.remoteAddress } : {}), ...(event.remotePort ? { port: event.remotePort } : {}) };
      entry.peerAddress = address;
      timeline.peerAddresses.push({ ...address, ...(at !== undefined ? { announcedAt: at } : {}), removed: false });
      timeline.entries.push(entry);
      return;
    }
    case 'removed': {
      // REMOVE_ADDR names the address by its id only: the address is the one announced under it.
      const announced = [...timeline.peerAddresses].reverse().find((a) => a.id === event.remoteId && !a.removed);
      entry.peerAddress = { ...(event.remoteId !== undefined ? { id: event.remoteId } : {}), ...(announced?.address !== undefined ? { address: announced.address } : {}), ...(announced?.port ? { port: announced.port } : {}) };
      if (announced) {
        announced.removed = true;
        if (at !== undefined) announced.removedAt = at;
      } else {
        timeline.peerAddresses.push({ ...entry.peerAddress, removed: true, ...(at !== undefined ? { removedAt: at } : {}) });
      }
      timeline.entries.push(entry);
      return;
    }
    case 'closed':
      timeline.closed = true;
      // The kernel announces no sub_closed for the subflows of a connection that closes normally.
      for (const s of timeline.subflows) {
        if (s.state !== 'open') continue;
        s.state = 'closed';
        s.closedWithConnection = true;
        s.end = 'closed with the connection';
        if (at !== undefined) s.closedAt = at;
      }
      break;
    default:
      break;
  }
  if (where && event.type !== 'closed') entry.subflow = where.id;
  timeline.entries.push(entry);
}
