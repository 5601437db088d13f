// What a probe observed, as plain data: the verdict rules (verdict.ts) read only this.
import type { ConnectionState, SocketKind, TcpReason } from '../native/index.js';
import type { CounterSnapshot } from '../sys/counters.js';

/** A data mode, or 'passive'/'active' when the client chose (EPSV then PASV; EPRT then PORT). */
export type ProbeMode = 'epsv' | 'pasv' | 'eprt' | 'port' | 'passive' | 'active';
export type ConnectionRole = 'control' | 'data';

/** One look at a connection: when, and what the kernel said. */
export interface ConnectionSample {
  /** 'connect', 'login', 'after-EPSV', 'transfer', 'end', ... */
  phase: string;
  /** Milliseconds since the probe run started. */
  atMs: number;
  state: ConnectionState;
  /** Total subflows (1 for TCP and fallback). */
  subflows: number;
  /** Local address of each subflow (subflows appear and disappear). */
  localAddresses: string[];
  /**
   * Per subflow (keyed by local address:port): bytes it has received plus bytes of ours it has
   * acknowledged. A subflow whose count stops growing while the others' grows lost its path.
   */
  progress?: Record<string, number>;
  /**
   * Subflows in the kernel's list that were not carrying data: a join still in its handshake, or a
   * subflow that was reset and lingers in CLOSE. Seen beside fewer subflows than expected, it is this
   * connection's own evidence that a join was attempted and did not complete.
   */
  notCarrying?: number;
}

/** The far end's own view of one connection (from `SITE MPTCP` of mptcp-doctor serve). */
export interface ServerConnectionView {
  /**
   * How the server's accepted socket was created. 'tcp' does not prove that no MP_CAPABLE reached it:
   * when the ACK loses the option the kernel also hands over a plain TCP socket (see mpCapableReceived).
   */
  socket: SocketKind;
  state: ConnectionState;
  subflows: number;
  /**
   * Whether the client's SYN carried MP_CAPABLE, as the server witnessed it (its socket, or its
   * counters when the kernel handed it a plain TCP socket after the ACK lost the option).
   */
  mpCapableReceived?: boolean | null;
  /** How the far end knows mpCapableReceived: its socket (certain), its counters, or not at all. */
  mpCapableEvidence?: 'socket' | 'counters' | 'none';
  /**
   * The far end's listening socket that accepted this connection: 'tcp' means it could only ever
   * accept plain TCP here. Undefined for a connection the far end opened itself (active mode).
   */
  listener?: 'mptcp' | 'tcp';
}

/** One subflow as the kernel's path-manager events told it (sub_established, sub_closed). */
export interface KernelSubflowEvidence {
  /** "10.0.0.1:40000 -> 10.0.0.2:21" */
  id: string;
  /** The MP_CAPABLE subflow the connection began with; the others joined. */
  initial: boolean;
  established: boolean;
  /** Closed on its own (a sub_closed event), before the connection ended; not set for the normal end. */
  closed: boolean;
  /** How it ended, in words ("reset by the peer: middlebox interference (ECONNRESET)"). */
  end?: string;
  /** errno name of the subflow's socket error when it closed. */
  error?: string;
  /** The peer's MP_TCPRST reason (RFC 8684 section 3.6), in words, and its code. */
  resetReason?: string;
  resetReasonCode?: number;
}

export interface ConnectionEvidence {
  role: ConnectionRole;
  mode?: ProbeMode;
  /** How our socket was created and, when TCP, why. */
  socket: SocketKind;
  socketReason?: TcpReason;
  /** Chronological. */
  samples: ConnectionSample[];
  /**
   * Subflows this connection should reach given the local endpoints and limits (1 when none).
   * Connections the server opened (active mode) expect 1: extra subflows would need server endpoints.
   */
  expectedSubflows: number;
  /** How long it lived, ms: a short data connection may end before a join could complete. */
  durationMs: number;
  server?: ServerConnectionView;
  /** Who opened it: the server opens active-mode (PORT/EPRT) data connections to our listener. */
  opener?: 'client' | 'server';
  /**
   * The kernel's own events about this connection's subflows (mptcp_pm, needs CAP_NET_ADMIN);
   * undefined when they could not be heard.
   */
  kernel?: { subflows: KernelSubflowEvidence[]; eventsMayBeMissing: boolean };
  /** Data-channel commands (PORT/EPRT...) sent on this connection, with the time they were sent. */
  commands?: Array<{ command: string; atMs: number }>;
}

/** A server reply that makes no sense for a well-formed command (e.g. 500 to PORT). */
export interface ReplyAnomaly {
  command: string;
  code: number;
  text: string;
  atMs: number;
}

export interface ProbeEvidence {
  connections: ConnectionEvidence[];
  /**
   * MPTcpExt deltas of the client's namespace from the start of the run until the client gave up
   * (its own timeout or an interruption) or, when it never did, the end of the run. What the
   * kernel did after we gave up (MP_FASTCLOSE, resets of our own torn-down sockets) is not here.
   */
  clientCounters: CounterSnapshot;
  /** Deltas after the client gave up: shown to the user, never read by the rules. */
  clientCountersAfterGiveUp?: CounterSnapshot;
  /** When and why the client gave up on a connection, if it did. */
  gaveUp?: { atMs: number; reason: string };
  /** The server's deltas since login, when the far end is mptcp-doctor serve. */
  serverCounters?: CounterSnapshot;
  anomalies: ReplyAnomaly[];
  /** net.mptcp.checksum_enabled (or MPTCP_INFO csum_enabled) at each end, where known. */
  checksum: { client?: boolean; server?: boolean };
  /** 'serve' when the far end answered SITE MPTCP; `listener` is how its listening socket was created. */
  server: { kind: 'serve' | 'other'; listener?: SocketKind };
  /** Active MPTCP disabled by blackhole detection before the probe started (MPTcpExt Blackhole state). */
  blackholeActive?: boolean;
  /** How the transfer ended: a stall (timeout) or an error is evidence too. */
  transfer?: { completed: boolean; errorKind?: string };
}
