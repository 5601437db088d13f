// Did an MP_CAPABLE SYN reach us for this accepted connection?
//
// An accepted socket from an MPTCP listener is MPTCP (SO_PROTOCOL 262) exactly when the handshake
// completed as MPTCP. When the SYN carried MP_CAPABLE but the client's third ACK did not (a middlebox
// stripped the option from our SYN-ACK, or the client fell back), the kernel drops the subflow
// context before accept and hands us a plain TCP socket: from the socket alone that looks like a
// client without MPTCP. The kernel counts that case (MPTcpExt MPCapableFallbackACK, per namespace)
// before the socket reaches the accept queue, so we read the counter at every accept and attribute
// each new increment to one TCP socket accepted after it. Namespace-wide, so concurrent accepts of
// other servers in the namespace can mislead it: the view says which evidence it used.
import { readMptcpCountersSync, type CounterSnapshot } from '../sys/counters.js';

import type { HandshakeEvidence } from '../protocol/site-mptcp.js';

export interface HandshakeVerdict {
  /**
   * null when we cannot know: we opened the connection (active mode), or a plain TCP listener
   * accepted it (such a socket never looks at MP_CAPABLE, and the counters do not move for it).
   */
  mpCapableReceived: boolean | null;
  evidence: HandshakeEvidence;
  /** The kind of listening socket that accepted the connection. */
  listener: 'mptcp' | 'tcp';
}

export class HandshakeWitness {
  private last: number | undefined;
  private unattributed = 0;

  constructor(private readonly readCounters: () => CounterSnapshot | undefined = readMptcpCountersSync) {}

  /** Call once per accepted socket, synchronously in the accept callback. */
  observe(socket: 'mptcp' | 'tcp' | undefined, listener: 'mptcp' | 'tcp' = 'mptcp'): HandshakeVerdict {
    const now = this.readCounters()?.MPCapableFallbackACK;
    if (now !== undefined) {
      // The first snapshot only sets the baseline: increments from before we listened are not ours.
      if (this.last !== undefined && now > this.last) this.unattributed += now - this.last;
      this.last = now;
    }
    if (listener === 'tcp') return { mpCapableReceived: null, evidence: 'none', listener };
    if (socket === 'mptcp') return { mpCapableReceived: true, evidence: 'socket', listener };
    if (this.unattributed > 0) {
      this.unattributed -= 1;
      return { mpCapableReceived: true, evidence: 'counters', listener };
    }
    return now === undefined
      ? { mpCapableReceived: null, evidence: 'none', listener }
      : { mpCapableReceived: false, evidence: 'counters', listener };
  }

  /** Sets the baseline once (call when a server starts listening). */
  ensureBaseline(): void {
    this.last ??= this.readCounters()?.MPCapableFallbackACK;
  }
}

/** One witness per process: the counters are per namespace, and a process lives in one. */
export const handshakeWitness = new HandshakeWitness();
