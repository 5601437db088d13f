// A live stream of the kernel's MPTCP path-manager events (the `mptcp_pm_events` multicast group of
// generic netlink, what `ip mptcp monitor` prints), as an async iterable of decoded records.
// Losses are never silent: a receive-buffer overflow (ENOBUFS) is a record of its own.
import { isSystemError } from '../native/binding.js';
import { netlinkRequest, subscribeNetlink, type NetlinkSubscription } from '../native/netlink.js';
import { decodeGetFamilyReply, encodeGetFamilyRequest, type GenericFamily } from './generic-netlink.js';
import { decodeMptcpEvent, MPTCP_PM_EV_GRP_NAME, MPTCP_PM_NAME, type MptcpEvent } from './mptcp-events.js';
import { NetlinkRequestError, parseMessages } from './netlink-frame.js';

export type MptcpEventRecord =
  | { kind: 'event'; event: MptcpEvent; /** Date.now() when the batch holding it was read. */ receivedAt: number }
  | { kind: 'loss'; /** ENOBUFS reports: each is at least one event the kernel dropped. */ overflows: number; receivedAt: number };

export type EventsUnavailableReason = 'permission' | 'no-family' | 'no-group' | 'error';

/** Subscribing is impossible here; `reason` says why in a word, the message in a sentence. */
export class EventsUnavailableError extends Error {
  constructor(readonly reason: EventsUnavailableReason, message: string, readonly code?: string) {
    super(message);
    this.name = 'EventsUnavailableError';
  }
}

export interface SubscribeOptions {
  /** Aborting ends the iteration (done) and closes the socket. */
  signal?: AbortSignal;
  /** SO_RCVBUF to ask for (default 8 MiB): a burst of short connections is four events each. */
  receiveBufferBytes?: number;
  /** Records held before reading pauses and the kernel's buffer takes the pressure (default 50,000). */
  highWaterMark?: number;
  /** Every raw batch, before decoding (fixtures, debugging). */
  capture?: (bytes: Buffer) => void;
}

export interface EventStreamStats {
  events: number;
  /** ENOBUFS reports so far. */
  overflows: number;
  /** SO_RCVBUF as the kernel reports it (twice what it granted). */
  receiveBufferBytes?: number;
  familyId: number;
  groupId: number;
}

export interface MptcpEventSubscription extends AsyncIterable<MptcpEventRecord> {
  stats(): EventStreamStats;
  /** Lets the process exit while subscribed (the probe's use); watch keeps the default. */
  unref(): void;
  close(): void;
}

const DEFAULT_RECEIVE_BUFFER = 8 << 20;
const DEFAULT_HIGH_WATER_MARK = 50_000;

/** The mptcp_pm family and its event group id; works without privileges. */
export async function resolveMptcpPmFamily(): Promise<GenericFamily> {
  try {
    return decodeGetFamilyReply(await netlinkRequest('generic', encodeGetFamilyRequest(MPTCP_PM_NAME)), MPTCP_PM_NAME);
  } catch (error) {
    if (error instanceof NetlinkRequestError && error.code === 'ENOENT') {
      throw new EventsUnavailableError('no-family', 'this kernel has no mptcp_pm netlink family (MPTCP path manager events need Linux 5.12 or newer with CONFIG_MPTCP)', error.code);
    }
    throw error;
  }
}

/**
 * Joins the MPTCP event group. Resolves once joined, so a caller learns at once whether it may
 * (EventsUnavailableError with reason 'permission' without CAP_NET_ADMIN); then iterate.
 */
export async function subscribeMptcpEvents(options: SubscribeOptions = {}): Promise<MptcpEventSubscription> {
  const family = await resolveMptcpPmFamily();
  const groupId = family.groups.get(MPTCP_PM_EV_GRP_NAME);
  if (groupId === undefined) {
    throw new EventsUnavailableError('no-group', `the ${MPTCP_PM_NAME} family has no ${MPTCP_PM_EV_GRP_NAME} group on this kernel`);
  }
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  // A FIFO with a moving head: shift() on a 50,000-record array would copy it each time.
  let queue: MptcpEventRecord[] = [];
  let head = 0;
  const queued = () => queue.length - head;
  let failure: Error | undefined;
  let finished = false;
  let paused = false;
  let wake: (() => void) | undefined;
  const counts = { events: 0, overflows: 0 };

  const onBatch = (bytes: Buffer, lost: number, error?: Error) => {
    // Called from the poll handle: never throw back into the addon.
    try {
      const receivedAt = Date.now();
      if (bytes.length > 0) {
        options.capture?.(bytes);
        for (const message of parseMessages(bytes)) {
          const event = decodeMptcpEvent(message, family.id);
          if (!event) continue;
          counts.events += 1;
          queue.push({ kind: 'event', event, receivedAt });
        }
      }
      if (lost > 0) {
        counts.overflows += lost;
        queue.push({ kind: 'loss', overflows: lost, receivedAt });
      }
      if (error) failure = error;
      if (queued() >= highWaterMark && !paused) {
        paused = true;
        socket.pause();
      }
    } catch (caught) {
      failure = caught instanceof Error ? caught : new Error(String(caught));
    }
    wake?.();
  };

  let socket: NetlinkSubscription;
  try {
    socket = subscribeNetlink('generic', [groupId], options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER, onBatch);
  } catch (error) {
    if (isSystemError(error) && (error.code === 'EPERM' || error.code === 'EACCES')) {
      throw new EventsUnavailableError('permission', 'MPTCP events need CAP_NET_ADMIN (run as root)', error.code);
    }
    throw new EventsUnavailableError('error', `cannot join ${MPTCP_PM_EV_GRP_NAME}: ${(error as Error).message}`, isSystemError(error) ? error.code : undefined);
  }

  const grantedBuffer = socket.receiveBufferBytes();
  const close = () => {
    if (finished) return;
    finished = true;
    socket.close();
    options.signal?.removeEventListener('abort', close);
    wake?.();
  };
  if (options.signal?.aborted) close();
  options.signal?.addEventListener('abort', close, { once: true });

  async function* records(): AsyncGenerator<MptcpEventRecord> {
    try {
      for (;;) {
        while (queued() > 0) {
          const record = queue[head]!;
          head += 1;
          if (head > 4096 && head * 2 > queue.length) {
            queue = queue.slice(head);
            head = 0;
          }
          if (paused && queued() < highWaterMark / 2) {
            paused = false;
            if (!finished) socket.resume();
          }
          yield record;
        }
        if (failure) throw failure;
        if (finished) return;
        await new Promise<void>((resolve) => { wake = resolve; });
        wake = undefined;
      }
    } finally {
      close();
    }
  }

  return {
    [Symbol.asyncIterator]: () => records(),
    stats: () => ({ ...counts, receiveBufferBytes: grantedBuffer, familyId: family.id, groupId }),
    unref: () => socket.unref(),
    close,
  };
}
