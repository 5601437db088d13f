// The kernel's own account of our connections, when we may hear it: the mptcp_pm event group
// (needs CAP_NET_ADMIN). Joined before the first connect, read in the background, and turned into
// one timeline per connection token at the end. Without the privilege there are no events and the
// verdicts rest on samples and counters alone, exactly as before.
import type { ConnectionTimeline } from '../kernel/connection-timelines.js';
import type { MptcpEventRecord, MptcpEventSubscription } from '../kernel/mptcp-event-stream.js';
import type { KernelSubflowEvidence } from '../verdict/evidence.js';

export interface KernelEventLog {
  /** Stops listening once the events of closing connections had a moment to arrive. */
  stop(): Promise<void>;
  /** Per token: the kernel's subflows of that connection, and whether events may be missing. */
  timelines(tokens: number[]): Map<number, { subflows: KernelSubflowEvidence[]; eventsMayBeMissing: boolean }>;
}

/** How long the last events (sub_closed of our own closing) get to arrive before we stop. */
const SETTLE_MS = 50;

/** Joins the event group, or returns undefined when this process may not (no CAP_NET_ADMIN) or the kernel has none. */
export async function startKernelEventLog(): Promise<KernelEventLog | undefined> {
  const [{ subscribeMptcpEvents }, { buildConnectionTimelines }] = await Promise.all([
    import('../kernel/mptcp-event-stream.js'),
    import('../kernel/connection-timelines.js'),
  ]);
  let subscription: MptcpEventSubscription;
  try {
    subscription = await subscribeMptcpEvents({ receiveBufferBytes: 1 << 20 });
  } catch {
    return undefined;
  }
  subscription.unref();
  const records: MptcpEventRecord[] = [];
  const reading = (async () => {
    for await (const record of subscription) records.push(record);
  })().catch(() => undefined);
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      subscription.close();
      await reading;
    },
    timelines(tokens) {
      const result = new Map<number, { subflows: KernelSubflowEvidence[]; eventsMayBeMissing: boolean }>();
      for (const [token, timeline] of buildConnectionTimelines(records, tokens)) result.set(token, kernelEvidence(timeline));
      return result;
    },
  };
}

/** A connection's timeline as verdict evidence: its subflows, and whether events may be missing. */
export function kernelEvidence(timeline: ConnectionTimeline): { subflows: KernelSubflowEvidence[]; eventsMayBeMissing: boolean } {
  return {
    eventsMayBeMissing: timeline.eventsMayBeMissing,
    subflows: timeline.subflows.map((s) => ({
      id: s.id,
      initial: s.initial,
      established: s.established,
      // Ending with the whole connection is the normal end, not a subflow that failed.
      closed: s.state === 'closed' && !s.closedWithConnection,
      ...(s.end ? { end: s.end } : {}),
      ...(s.errorName ? { error: s.errorName } : {}),
      ...(s.resetReasonText ? { resetReason: s.resetReasonText } : {}),
      ...(s.resetReason !== undefined ? { resetReasonCode: s.resetReason } : {}),
    })),
  };
}
