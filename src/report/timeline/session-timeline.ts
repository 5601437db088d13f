// What a report picture is drawn from: one FTP session (a probe, a transfer, a watch) as plain data.
// The HTML report, the terminal sparklines and the JSON `timeline` field all read only this type;
// each command has one adapter that builds it from its own result (from-probe.ts for probe), so
// the renderers never depend on how a command ran its connections. docs/report.md describes it.

export const SESSION_TIMELINE_VERSION = 1;

/** How a headline or a status reads: good (MPTCP held), warn (degraded), bad (fell back, failed). */
export type TimelineTone = 'good' | 'warn' | 'bad' | 'neutral';

export interface SessionTimeline {
  version: typeof SESSION_TIMELINE_VERSION;
  /** The command that produced it: 'probe', 'get', 'put', 'watch'. */
  command: string;
  /** What was talked to, as shown to the user (never with a password). */
  target: string;
  /** The verdict in one line, as in the text output. */
  headline: { text: string; tone: TimelineTone };
  /** Further lines under the headline: bytes moved, digest, far end. */
  summary: string[];
  advice: string[];
  /** The facts behind the verdict, one line each. */
  evidence: string[];
  /** Kernel counters that moved (MPTcpExt deltas), per side. */
  counters: TimelineCounters[];
  /**
   * Connections sharing a clock: `atMs` of everything in a group counts from the group's start
   * (a probe run, a transfer, a watch session).
   */
  groups: TimelineGroup[];
}

export interface TimelineCounters {
  /** 'client', 'server', or 'client, after the client gave up (not judged)'. */
  label: string;
  moved: Record<string, number>;
}

export interface TimelineGroup {
  /** 'passive mode', 'download': what the connections of the group were doing. */
  label: string;
  headline?: { text: string; tone: TimelineTone };
  /** What `atMs` counts from, in words ('the watch started'); 'the run started' when absent. */
  clock?: string;
  connections: TimelineConnection[];
}

export interface TimelineConnection {
  /** Unique in the timeline, usable as an HTML id: 'g0-c1'. */
  id: string;
  /** 'control', 'data epsv', 'data epsv (checksum)'. */
  label: string;
  role: 'control' | 'data' | 'other';
  /** FTP data mode (epsv, pasv, eprt, port), when it is one. */
  mode?: string;
  /** This connection's verdict: 'held', 'fell-back: payload-rewritten'. */
  status?: { text: string; tone: TimelineTone };
  /** First and last time it was looked at (ms from the group's start). */
  startMs: number;
  endMs: number;
  /** What the connection was, span by span: MPTCP, fallen back to TCP, or plain TCP. */
  states: TimelineStateSpan[];
  subflows: TimelineSubflow[];
  markers: TimelineMarker[];
  /** The facts behind this connection's status. */
  evidence?: string[];
}

export interface TimelineStateSpan {
  state: 'mptcp' | 'fallback' | 'tcp';
  fromMs: number;
  toMs: number;
}

export interface TimelineSubflow {
  /** Stable key within the connection: the local address:port. */
  key: string;
  /** 'local -> remote', the addresses a person recognises. */
  label: string;
  /** Cumulative bytes the subflow carried (received plus acknowledged), at each look, ascending in time. */
  points: TimelinePoint[];
}

export interface TimelinePoint {
  atMs: number;
  bytes: number;
}

export type TimelineMarkerKind =
  | 'subflow-joined'
  | 'subflow-closed'
  | 'subflow-reset'
  | 'subflow-stalled'
  | 'fell-back'
  | 'phase'
  | 'gave-up'
  | 'anomaly';

export interface TimelineMarker {
  atMs: number;
  kind: TimelineMarkerKind;
  /** Short text drawn beside the marker: 'EPSV', 'joined', 'fell back to TCP'. */
  label: string;
  /** The subflow it is about (its key), for subflow markers. */
  subflow?: string;
  /** Longer text: why, and what it rests on (a kernel reset reason, the samples it was read from). */
  detail?: string;
}
