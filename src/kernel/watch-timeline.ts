// The live timeline behind `watch`: kernel MPTCP events as they come, tied to their connection by
// token (addresses from the connection's own events, the owning program from sock_diag and /proc),
// and every interval the MPTcpExt counters that moved. Produces records; src/cli prints them.
import { counterDeltas, readMptcpCounters, type CounterSnapshot } from '../sys/counters.js';
import { readSocketOwners, type SocketOwner } from '../sys/socket-owners.js';
import { explainCounter, GAUGES } from './counter-explanations.js';
import { formatEndpoint } from './host-connections.js';
import {
  EventsUnavailableError, subscribeMptcpEvents, type EventsUnavailableReason, type MptcpEventRecord, type MptcpEventSubscription,
} from './mptcp-event-stream.js';
import type { MptcpEvent } from './mptcp-events.js';
import { dumpSockets } from './sock-diag.js';
import { formatToken } from './socket-token.js';

export interface ConnectionTag {
  /** "10.1.1.1:45018 -> 10.1.100.2:21" from the connection's created/established event. */
  local?: string;
  remote?: string;
  serverSide?: boolean;
  process?: SocketOwner;
}

export type WatchRecord =
  | { type: 'event'; time: Date; event: MptcpEvent; token?: string; connection?: ConnectionTag }
  | { type: 'loss'; time: Date; overflows: number }
  | { type: 'counters'; time: Date; intervalMs: number; deltas: CounterSnapshot; explanations: Record<string, string> }
  | { type: 'events-unavailable'; time: Date; reason: EventsUnavailableReason; message: string };

export interface WatchOptions {
  /** Counter interval in ms (0: no counters). */
  intervalMs: number;
  /** Stop after this long (ms). */
  durationMs?: number;
  /** Stop after this many events (or counter reports, when events are unavailable). */
  count?: number;
  /** Name the program of each connection (sock_diag + /proc lookups, batched). Default true. */
  processes?: boolean;
  signal?: AbortSignal;
  receiveBufferBytes?: number;
  /** Called once events are subscribed to (or known to be unavailable) and counters are primed. */
  onReady?: (eventsAvailable: boolean) => void;
}

export interface WatchSummary {
  durationMs: number;
  events: number;
  /** ENOBUFS reports: events the kernel dropped because we read too slowly. */
  overflows: number;
  counterReports: number;
  eventsAvailable: boolean;
  receiveBufferBytes?: number;
}

/** Minimum time between two owner lookups: a burst of connections costs a lookup per this, not per event. */
const LOOKUP_INTERVAL_MS = 250;

/** Remembers each live connection's addresses and program by token; forgets it when it closes. */
class ConnectionBook {
  private readonly byToken = new Map<number, ConnectionTag>();
  private readonly unresolved = new Set<number>();
  private lookup: NodeJS.Timeout | undefined;
  private lastLookup = 0;

  constructor(private readonly resolveProcesses: boolean) {}

  tag(event: MptcpEvent): ConnectionTag | undefined {
    if (event.token === undefined) return undefined;
    let tag = this.byToken.get(event.token);
    if ((event.type === 'created' || event.type === 'established') && event.localAddress && event.remoteAddress) {
      tag ??= {};
      tag.local = formatEndpoint({ address: event.localAddress, port: event.localPort ?? 0 });
      tag.remote = formatEndpoint({ address: event.remoteAddress, port: event.remotePort ?? 0 });
      if (event.serverSide !== undefined) tag.serverSide = event.serverSide;
      this.byToken.set(event.token, tag);
      if (this.resolveProcesses && !tag.process) this.want(event.token);
    }
    const shown = tag ? { ...tag } : undefined;
    if (event.type === 'closed') {
      this.byToken.delete(event.token);
      this.unresolved.delete(event.token);
    }
    return shown;
  }

  private want(token: number): void {
    this.unresolved.add(token);
    if (this.lookup) return;
    const wait = Math.max(0, this.lastLookup + LOOKUP_INTERVAL_MS - Date.now());
    this.lookup = setTimeout(() => void this.resolve(), wait);
    this.lookup.unref();
  }

  /** One MPTCP dump and one /proc pass for every connection waiting for its program. */
  private async resolve(): Promise<void> {
    this.lastLookup = Date.now();
    const tokens = new Set(this.unresolved);
    try {
      const [v4, v6] = await Promise.all([dumpSockets({ protocol: 'mptcp', family: 4, info: true }), dumpSockets({ protocol: 'mptcp', family: 6, info: true })]);
      const inodeByToken = new Map<number, number>();
      for (const socket of [...v4.sockets, ...v6.sockets]) {
        const token = socket.mptcpInfo?.token;
        if (token && tokens.has(token) && socket.inode !== 0) inodeByToken.set(token, socket.inode);
      }
      const owners = inodeByToken.size > 0 ? readSocketOwners(new Set(inodeByToken.values())) : new Map<number, SocketOwner[]>();
      for (const [token, inode] of inodeByToken) {
        const owner = owners.get(inode)?.[0];
        const tag = this.byToken.get(token);
        if (owner && tag) {
          tag.process = owner;
          this.unresolved.delete(token);
        }
      }
    } catch {
      // a failed lookup only leaves programs unnamed
    } finally {
      this.lookup = undefined;
      // Server sockets get their inode at accept(): try those again, a bounded number of times.
      for (const token of tokens) if (!this.byToken.has(token)) this.unresolved.delete(token);
    }
  }

  stop(): void {
    clearTimeout(this.lookup);
  }
}

/**
 * Runs until aborted, `durationMs` or `count`. Subscribes first: without CAP_NET_ADMIN the first
 * record says so (events-unavailable) and only counters follow.
 */
export async function runWatch(options: WatchOptions, onRecord: (record: WatchRecord) => void): Promise<WatchSummary> {
  const started = Date.now();
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const deadline = options.durationMs !== undefined ? setTimeout(() => stop.abort(), options.durationMs) : undefined;

  let subscription: MptcpEventSubscription | undefined;
  try {
    subscription = await subscribeMptcpEvents({ signal: stop.signal, receiveBufferBytes: options.receiveBufferBytes });
  } catch (error) {
    if (!(error instanceof EventsUnavailableError)) throw error;
    onRecord({ type: 'events-unavailable', time: new Date(), reason: error.reason, message: error.message });
  }

  let events = 0;
  let counterReports = 0;
  const countReached = () => options.count !== undefined && (subscription ? events : counterReports) >= options.count;

  let counterTimer: NodeJS.Timeout | undefined;
  let previous: CounterSnapshot | undefined;
  if (options.intervalMs > 0) {
    previous = await readMptcpCounters().catch(() => undefined);
    let last = Date.now();
    counterTimer = setInterval(() => {
      void readMptcpCounters().then((now) => {
        if (stop.signal.aborted || !previous) return;
        const deltas = counterDeltas(previous, now);
        previous = now;
        const at = Date.now();
        const intervalMs = at - last;
        last = at;
        if (Object.keys(deltas).length === 0) return;
        const explanations = Object.fromEntries(Object.entries(deltas).map(([name, delta]) => [name, explainCounter(name, delta)]));
        counterReports += 1;
        onRecord({ type: 'counters', time: new Date(at), intervalMs, deltas, explanations });
        if (countReached()) stop.abort();
      }, () => undefined);
    }, options.intervalMs);
  }

  const book = new ConnectionBook(options.processes ?? true);
  options.onReady?.(subscription !== undefined);
  try {
    if (subscription) {
      for await (const record of subscription as AsyncIterable<MptcpEventRecord>) {
        if (record.kind === 'loss') {
          onRecord({ type: 'loss', time: new Date(record.receivedAt), overflows: record.overflows });
          continue;
        }
        const event = record.event;
        events += 1;
        const connection = book.tag(event);
        onRecord({
          type: 'event',
          time: new Date(record.receivedAt),
          event,
          ...(event.token !== undefined ? { token: formatToken(event.token) } : {}),
          ...(connection ? { connection } : {}),
        });
        if (countReached()) break;
      }
    } else {
      await new Promise<void>((resolve) => {
        if (stop.signal.aborted) resolve();
        stop.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  } finally {
    stop.abort();
    subscription?.close();
    book.stop();
    clearInterval(counterTimer);
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onAbort);
  }
  const stats = subscription?.stats();
  return {
    durationMs: Date.now() - started,
    events,
    overflows: stats?.overflows ?? 0,
    counterReports,
    eventsAvailable: subscription !== undefined,
    ...(stats?.receiveBufferBytes !== undefined ? { receiveBufferBytes: stats.receiveBufferBytes } : {}),
  };
}

export { GAUGES };
