// The live timeline behind `watch`: kernel MPTCP events as they come, tied to their connection by
// token (addresses from the connection's own events, the owning program from sock_diag and /proc),
// and every interval the MPTcpExt counters that moved. Produces records; src/cli prints them.
import { counterDeltas, readMptcpCounters, type CounterSnapshot } from '../sys/counters.js';
import { findSomeOwners, type SocketOwner } from '../sys/socket-owners.js';
import { explainCounter, GAUGES } from './counter-explanations.js';
import { formatEndpoint } from './host-connections.js';
import {
  EventsUnavailableError, subscribeMptcpEvents, type EventsUnavailableReason, type MptcpEventRecord, type MptcpEventSubscription,
} from './mptcp-event-stream.js';
import type { MptcpEvent } from './mptcp-events.js';
import { dumpSockets } from './sock-diag.js';
import { readSubflowBytes, type SubflowBytes } from './subflow-bytes.js';
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

/** One look at the bytes each subflow of the live connections has carried (`watch --report`). */
export interface SubflowLook {
  time: Date;
  subflows: SubflowBytes[];
}

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
  /**
   * Every `intervalMs`, the bytes each subflow of the connections the events named has carried (a
   * TCP sock_diag dump per family: nothing is read while no connection the watch saw is live).
   */
  subflowLooks?: { intervalMs: number; onLook: (look: SubflowLook) => void };
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

/**
 * How long a connection's first line may wait for its program. The lines behind it wait too (the
 * timeline stays in order); the kernel's events keep being read meanwhile, so none is lost.
 */
const NAMING_WAIT_MS = 1000;

/** Lookups that may find nothing for a live connection (a server socket has no inode until accept()). */
const LOOKUP_ATTEMPTS = 3;

/** Remembers each live connection's addresses and program by token; forgets it when it closes. */
class ConnectionBook {
  private readonly byToken = new Map<number, ConnectionTag>();
  /** Live connections without a program yet, and how many lookups have looked for them. */
  private readonly unresolved = new Map<number, number>();
  private lookup: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastLookup = 0;
  private settled = false;

  /** Called after every lookup: held lines may go out now. */
  onLookupDone: () => void = () => undefined;

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

  /** True while a lookup that may name this connection is still to come: its line should wait. */
  awaitsProgram(token: number): boolean {
    return this.unresolved.get(token) === 0;
  }

  programOf(token: number): SocketOwner | undefined {
    return this.byToken.get(token)?.process;
  }

  private want(token: number): void {
    if (!this.unresolved.has(token)) this.unresolved.set(token, 0);
    this.schedule();
  }

  private schedule(): void {
    if (this.lookup || this.running || this.settled) return;
    const wait = Math.max(0, this.lastLookup + LOOKUP_INTERVAL_MS - Date.now());
    this.lookup = setTimeout(() => {
      this.lookup = undefined;
      this.running = this.resolve().finally(() => {
        this.running = undefined;
        this.onLookupDone();
        // Connections still unnamed (server sockets not yet accepted) get another try, a few times.
        if ([...this.unresolved.values()].some((attempts) => attempts < LOOKUP_ATTEMPTS)) this.schedule();
      });
    }, wait);
    this.lookup.unref();
  }

  /** One MPTCP dump and one /proc pass for every connection waiting for its program. */
  private async resolve(): Promise<void> {
    this.lastLookup = Date.now();
    const tokens = [...this.unresolved].filter(([, attempts]) => attempts < LOOKUP_ATTEMPTS).map(([token]) => token);
    try {
      const wanted = new Set(tokens);
      const [v4, v6] = await Promise.all([dumpSockets({ protocol: 'mptcp', family: 4, info: true }), dumpSockets({ protocol: 'mptcp', family: 6, info: true })]);
      const inodeByToken = new Map<number, number>();
      for (const socket of [...v4.sockets, ...v6.sockets]) {
        const token = socket.mptcpInfo?.token;
        if (token && wanted.has(token) && socket.inode !== 0) inodeByToken.set(token, socket.inode);
      }
      const owners = inodeByToken.size > 0 ? findSomeOwners(new Set(inodeByToken.values())) : new Map<number, SocketOwner[]>();
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
      for (const token of tokens) {
        const attempts = this.unresolved.get(token);
        if (attempts !== undefined) this.unresolved.set(token, attempts + 1);
      }
    }
  }

  /** At the end: finishes the lookups the held lines wait for (the one under way, or one last one). */
  async settle(): Promise<void> {
    this.settled = true;
    clearTimeout(this.lookup);
    this.lookup = undefined;
    await this.running;
    if ([...this.unresolved.values()].includes(0)) await this.resolve();
  }
}

/**
 * The records in the order they happened, each event line held until its connection's program is
 * known (or NAMING_WAIT_MS has passed): the line then carries the program, as ss -p would show it.
 */
class OrderedOutput {
  private readonly held: Array<{ record: WatchRecord; token?: number; until: number }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly book: ConnectionBook, private readonly emit: (record: WatchRecord) => void) {}

  push(record: WatchRecord, token?: number): void {
    this.held.push({ record, token, until: Date.now() + NAMING_WAIT_MS });
    this.flush();
  }

  flush(force = false): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.held.length > 0) {
      const head = this.held[0]!;
      const waiting = head.token !== undefined && this.book.awaitsProgram(head.token) && Date.now() < head.until;
      if (waiting && !force) {
        this.timer = setTimeout(() => this.flush(), head.until - Date.now());
        this.timer.unref();
        return;
      }
      this.held.shift();
      if (head.record.type === 'event' && head.token !== undefined && head.record.connection && !head.record.connection.process) {
        const program = this.book.programOf(head.token);
        if (program) head.record.connection.process = program;
      }
      this.emit(head.record);
    }
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

  const book = new ConnectionBook(options.processes ?? true);
  const output = new OrderedOutput(book, onRecord);
  book.onLookupDone = () => output.flush();

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
        output.push({ type: 'counters', time: new Date(at), intervalMs, deltas, explanations });
        if (countReached()) stop.abort();
      }, () => undefined);
    }, options.intervalMs);
  }

  // Connections the events named and did not close yet: the only ones whose subflows are looked at.
  const live = new Set<number>();
  let looking: Promise<void> | undefined;
  const looks = options.subflowLooks;
  const lookTimer = looks && subscription
    ? setInterval(() => {
      if (looking || live.size === 0 || stop.signal.aborted) return;
      const time = new Date();
      looking = readSubflowBytes(new Set(live))
        .then((subflows) => {
          if (subflows.length > 0) looks.onLook({ time, subflows });
        }, () => undefined) // a failed look only leaves a gap in the series
        .finally(() => { looking = undefined; });
    }, looks.intervalMs)
    : undefined;

  options.onReady?.(subscription !== undefined);
  try {
    if (subscription) {
      for await (const record of subscription as AsyncIterable<MptcpEventRecord>) {
        if (record.kind === 'loss') {
          output.push({ type: 'loss', time: new Date(record.receivedAt), overflows: record.overflows });
          continue;
        }
        const event = record.event;
        events += 1;
        if (event.token !== undefined) {
          if (event.type === 'closed') live.delete(event.token);
          else live.add(event.token);
        }
        const connection = book.tag(event);
        output.push({
          type: 'event',
          time: new Date(record.receivedAt),
          event,
          ...(event.token !== undefined ? { token: formatToken(event.token) } : {}),
          ...(connection ? { connection } : {}),
        }, event.token);
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
    await book.settle();
    output.flush(true);
    clearInterval(counterTimer);
    clearInterval(lookTimer);
    await looking;
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
