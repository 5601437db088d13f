// One FTP session, watched: connect and log in with every connection tracked, bracket the counters,
// run one transfer step, and judge the evidence with the one verdict engine. `get`, `put` and
// `probe` differ only in their step and in how much of the outcome they render.
import { FtpClient, FtpError, type FtpObserver, type FtpSecurity, type ModeRequest, type TlsSettings } from '../ftp/index.js';
import type { SiteMptcpConnection, SiteMptcpView } from '../protocol/site-mptcp.js';
import { readMptcpSysctl } from '../sys/mptcp-sysctl.js';
import { EXPLAINS_A_FAILED_TRANSFER } from '../verdict/causes.js';
import { connectionName } from '../verdict/connection-name.js';
import type { ConnectionEvidence, ProbeEvidence, ReplyAnomaly, ServerConnectionView } from '../verdict/evidence.js';
import { judgeProbe, worstVerdict, type Verdict } from '../verdict/verdict.js';
import { CounterWatch, type CounterGroups } from './counter-watch.js';
import { expectedSubflows, type PathManagerView } from './expected-subflows.js';
import { startKernelEventLog, type KernelEventLog } from './kernel-events.js';
import { stallFinding } from './findings.js';
import { combineObservers } from './observers.js';
import type { ConnectionPurpose, ConnectionRecord } from './record.js';
import { ConnectionTracker, type TrackedConnection } from './tracker.js';

export interface SessionTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  security: FtpSecurity;
  tls?: TlsSettings;
  tcp?: boolean;
  family?: 4 | 6;
}

export interface SessionTimeouts {
  /** TCP connect (each resolved address gets a share). */
  connectMs: number;
  /** Each reply of the server. */
  replyMs: number;
  /** Longest time without a byte moving on a data connection. */
  idleMs: number;
  /** The whole session; undefined for no limit. */
  maxMs?: number;
}

export interface SessionOptions {
  target: SessionTarget;
  /** 'passive'/'active' let the client fall back (EPSV then PASV, EPRT then PORT). */
  mode: ModeRequest;
  timeouts: SessionTimeouts;
  signal?: AbortSignal;
  /** Milliseconds between samples while data moves. */
  sampleIntervalMs?: number;
  /** The local endpoints and limits; a promise is awaited only when the session is judged. */
  pathManager: PathManagerView | Promise<PathManagerView>;
  /** More watching (--verbose log, progress bar), after the tracker's. */
  observer?: FtpObserver;
  /** Listen to the kernel's MPTCP events when allowed (default true). */
  kernelEvents?: boolean;
}

/** What a transfer step gets: the logged-in client and the session's instruments. */
export interface SessionContext {
  client: FtpClient;
  /** Runs `work` with every open connection sampled periodically; data connections opened meanwhile are for `purpose`. */
  sampled<T>(purpose: Exclude<ConnectionPurpose, 'control'>, work: () => Promise<T>): Promise<T>;
  /** The data connection opened most recently. */
  lastData(): TrackedConnection | undefined;
  /**
   * The far end's own view (SITE MPTCP of mptcp-doctor serve). `data` is the connection its `data`
   * entry describes (its last data connection); the server's counter deltas become evidence too.
   */
  setFarEndView(view: SiteMptcpView, data: TrackedConnection | undefined): void;
}

export type SessionStage = 'connect' | 'login' | 'transfer';

export interface SessionFailure {
  message: string;
  /** FtpError kind, errno code, or 'timeout' when the session's own time limit ran out. */
  kind: string;
  stage: SessionStage;
  error: unknown;
}

export interface SessionOutcome<T> {
  value?: T;
  failure?: SessionFailure;
  /** The control connection first, then every data connection in order. */
  records: ConnectionRecord[];
  /** The worst connection verdict. */
  verdict: Verdict;
  /**
   * 'could-not-run': the session failed for a reason no MPTCP evidence explains (TLS, a stall with
   * MPTCP intact, a refusal): report the failure, never blame MPTCP or the path for it.
   */
  outcome: 'judged' | 'could-not-run';
  /** Client deltas until it gave up (the evidence), what moved afterwards, the far end's. */
  counters: { client: CounterGroups; clientAfterGiveUp?: CounterGroups; server?: Record<string, number> };
  gaveUp?: { atMs: number; reason: string };
  anomalies: ReplyAnomaly[];
  /** What the client noted on the way (a PASV address replaced, a mode fallback). */
  notes: string[];
  /** Findings from the counters (stalls), as sentences. */
  findings: string[];
  greeting?: string;
  /** Whether any FTP reply arrived (no greeting: the far end is not an FTP server). */
  heardReply: boolean;
  farEnd: 'serve' | 'other';
  durationMs: number;
}

/** Failures that are the server's answer, not a teardown of ours: nothing was aborted by us yet. */
const REFUSALS = new Set(['reply', 'not-found', 'login', 'permission', 'protocol']);

function describeFailure(error: unknown, stage: SessionStage, timedOut: boolean, maxMs: number | undefined): SessionFailure {
  if (timedOut && error instanceof FtpError && error.kind === 'aborted') {
    return { message: `the time limit (${Math.round((maxMs ?? 0) / 1000)} s) ran out`, kind: 'timeout', stage, error };
  }
  if (error instanceof FtpError) return { message: error.message, kind: error.kind, stage, error };
  const message = error instanceof Error ? error.message : String(error);
  return { message, kind: (error as { code?: string }).code ?? 'error', stage, error };
}

export async function runSession<T>(options: SessionOptions, step: (context: SessionContext) => Promise<T>): Promise<SessionOutcome<T>> {
  const started = Date.now();
  const intervalMs = options.sampleIntervalMs ?? 250;
  const tracker = new ConnectionTracker(options.mode);
  const watch = new CounterWatch(() => tracker.now());
  const controller = new AbortController();
  let timedOut = false;
  // Snapshot before aborting: the aborted sockets' fast-closes and resets are ours, not the path's.
  const limit =
    options.timeouts.maxMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          watch.giveUp(`the time limit (${Math.round(options.timeouts.maxMs! / 1000)} s) ran out`, true);
          controller.abort();
        }, options.timeouts.maxMs);
  const onOuterAbort = () => {
    watch.giveUp('interrupted', true);
    controller.abort();
  };
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  // The kernel's events, when this process may hear them: joined before the first SYN.
  const events = options.kernelEvents === false ? undefined : await startKernelEventLog().catch(() => undefined);
  let client: FtpClient | undefined;
  let failure: SessionFailure | undefined;
  let value: T | undefined;
  let farEnd: { view: SiteMptcpView; data: TrackedConnection | undefined } | undefined;
  let stage: SessionStage = 'connect';
  try {
    client = await FtpClient.connect({
      host: options.target.host,
      port: options.target.port,
      security: options.target.security,
      tls: options.target.tls,
      tcp: options.target.tcp,
      family: options.target.family,
      mode: options.mode,
      observer: combineObservers(tracker.observer(), options.observer),
      signal: controller.signal,
      connectTimeoutMs: options.timeouts.connectMs,
      replyTimeoutMs: options.timeouts.replyMs,
      idleTimeoutMs: options.timeouts.idleMs,
    });
    stage = 'login';
    await client.login(options.target.user, options.target.password);
    tracker.sample(tracker.control, 'login');
    stage = 'transfer';
    const context: SessionContext = {
      client,
      sampled: (purpose, work) => sampled(tracker, watch, intervalMs, purpose, work),
      lastData: () => tracker.connections.filter((c) => c.evidence.role === 'data').at(-1),
      setFarEndView: (view, data) => {
        farEnd = { view, data };
      },
    };
    value = await step(context);
  } catch (error) {
    failure = describeFailure(error, stage, timedOut, options.timeouts.maxMs);
  } finally {
    if (limit) clearTimeout(limit);
    options.signal?.removeEventListener('abort', onOuterAbort);
    // A refusal by the server left our sockets as they were: the counters now are still evidence.
    if (failure) watch.giveUp(failure.message, REFUSALS.has(failure.kind) && !tracker.closedUnexpectedly());
    tracker.sample(tracker.control, 'end');
    // The normal end: the last counters before we close anything ourselves.
    watch.end();
    if (client) {
      const closed = await client.close().catch(() => ({ report: undefined }));
      if (closed.report && tracker.control) tracker.control.final = closed.report;
    }
    for (const tracked of tracker.connections) tracker.finish(tracked);
    await events?.stop();
  }
  return judgeSession({ tracker, watch, options, failure, value, farEnd, started, events });
}

/** Runs `work` while sampling the open connections every `intervalMs`. */
async function sampled<T>(
  tracker: ConnectionTracker,
  watch: CounterWatch,
  intervalMs: number,
  purpose: Exclude<ConnectionPurpose, 'control'>,
  work: () => Promise<T>,
): Promise<T> {
  tracker.setPurpose(purpose);
  const timer = setInterval(() => {
    // Once one of our connections is gone without a normal end, later counters may be our teardown.
    if (tracker.closedUnexpectedly()) watch.giveUp('a connection closed before the end of the transfer', false);
    else watch.refresh();
    tracker.sampleAll('transfer');
  }, intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

interface JudgeInput<T> {
  tracker: ConnectionTracker;
  watch: CounterWatch;
  options: SessionOptions;
  failure: SessionFailure | undefined;
  value: T | undefined;
  farEnd: { view: SiteMptcpView; data: TrackedConnection | undefined } | undefined;
  started: number;
  events: KernelEventLog | undefined;
}

async function judgeSession<T>({ tracker, watch, options, failure, value, farEnd, started, events }: JudgeInput<T>): Promise<SessionOutcome<T>> {
  const pathManager = await options.pathManager;
  for (const tracked of tracker.connections) tracked.evidence.expectedSubflows = expectedFor(tracked, pathManager);
  // What the kernel said about each connection, by its token.
  const tokens = tracker.connections.map((t) => t.token).filter((t): t is number => t !== undefined);
  const timelines = events?.timelines(tokens);
  for (const tracked of tracker.connections) {
    const timeline = tracked.token !== undefined ? timelines?.get(tracked.token) : undefined;
    if (timeline) tracked.evidence.kernel = timeline;
  }
  const counters = watch.deltas();
  const gaveUp = watch.gaveUp;
  const view = farEnd?.view;
  const serverCounters = view && !('error' in view.counters) ? view.counters.deltas : undefined;
  const clientChecksum = tracker.control?.final?.info?.csumEnabled ?? ((await readMptcpSysctl('checksum_enabled')) ?? 0) !== 0;
  // The far end reports on our control connection and on its last data connection.
  const serverViews = tracker.connections.map((tracked) =>
    tracked === farEnd?.data ? (view?.data ?? undefined) : tracked === tracker.control ? view?.control : undefined,
  );
  const afterGiveUp = Object.keys(counters.afterCut.mptcp).length > 0 ? counters.afterCut.mptcp : undefined;
  const evidence: ProbeEvidence = {
    // The control connection was accepted on the far end's main listener.
    connections: tracker.connections.map((tracked, index) =>
      withServerView(tracked.evidence, serverViews[index], tracked === tracker.control && view ? listenerOf(view) : undefined),
    ),
    clientCounters: counters.evidence.mptcp,
    ...(gaveUp && afterGiveUp ? { clientCountersAfterGiveUp: afterGiveUp } : {}),
    ...(gaveUp ? { gaveUp } : {}),
    ...(serverCounters ? { serverCounters } : {}),
    anomalies: tracker.anomalies,
    checksum: { client: clientChecksum, ...(view?.control.checksum.enabled != null ? { server: view.control.checksum.enabled } : {}) },
    server: { kind: view ? 'serve' : 'other', ...(view ? { listener: listenerOf(view) } : {}) },
    transfer: { completed: !failure, ...(failure ? { errorKind: failure.kind } : {}) },
  };
  const judged = judgeProbe(evidence);
  const records = tracker.connections.map((tracked, index) => toRecord(tracked, judged.connections[index]!, serverViews[index]));
  const verdict = worstVerdict(judged.connections);
  const finding = stallFinding(counters.evidence);
  return {
    ...(value !== undefined ? { value } : {}),
    ...(failure ? { failure } : {}),
    records,
    verdict,
    // A failed session that no MPTCP evidence explains could not be done: it is not a verdict.
    outcome: failure && !EXPLAINS_A_FAILED_TRANSFER.has(verdict.cause) ? 'could-not-run' : 'judged',
    counters: {
      client: counters.evidence,
      ...(gaveUp && (afterGiveUp || Object.keys(counters.afterCut.tcp).length > 0) ? { clientAfterGiveUp: counters.afterCut } : {}),
      ...(serverCounters ? { server: serverCounters } : {}),
    },
    ...(gaveUp ? { gaveUp } : {}),
    anomalies: tracker.anomalies,
    notes: tracker.notes,
    findings: finding ? [finding.text] : [],
    ...(tracker.greeting !== undefined ? { greeting: tracker.greeting } : {}),
    heardReply: tracker.heardReply,
    farEnd: view ? 'serve' : 'other',
    durationMs: Date.now() - started,
  };
}

function toRecord(tracked: TrackedConnection, verdict: Verdict, server: SiteMptcpConnection | null | undefined): ConnectionRecord {
  const evidence = tracked.evidence;
  const mode = evidence.mode ?? 'passive';
  return {
    label: connectionName({ role: evidence.role, mode, purpose: tracked.purpose }, 'label'),
    role: evidence.role,
    mode,
    purpose: tracked.purpose,
    status: verdict.status,
    cause: verdict.cause,
    evidence: verdict.evidence,
    advice: verdict.advice,
    socket: evidence.socket,
    ...(evidence.socketReason ? { socketReason: evidence.socketReason } : {}),
    opener: evidence.opener ?? 'client',
    expectedSubflows: evidence.expectedSubflows,
    durationMs: evidence.durationMs,
    samples: evidence.samples,
    ...(tracked.final ? { report: tracked.final } : {}),
    ...(server ? { server } : {}),
    ...(evidence.kernel ? { kernel: evidence.kernel } : {}),
  };
}

/**
 * Subflows a connection should reach. Connections the server opened (active mode) get extra
 * subflows only from the server's endpoints, which we cannot see: one is expected.
 */
function expectedFor(tracked: TrackedConnection, pathManager: PathManagerView): number {
  if (tracked.evidence.opener === 'server') return 1;
  return expectedSubflows(pathManager, tracked.local?.address, tracked.local?.family ?? 4);
}

/** The far end's listener kind: serve reports it; older serve versions only let us infer MPTCP from a held connection. */
function listenerOf(view: SiteMptcpView): 'mptcp' | 'tcp' | undefined {
  if (view.listener?.socket) return view.listener.socket;
  return view.control.socket === 'mptcp' ? 'mptcp' : undefined;
}

function withServerView(evidence: ConnectionEvidence, view: SiteMptcpConnection | null | undefined, listener?: 'mptcp' | 'tcp'): ConnectionEvidence {
  if (!view) return evidence;
  const accepted = view.listener ?? listener;
  const server: ServerConnectionView = {
    socket: view.socket,
    state: view.state,
    subflows: view.subflows.total,
    mpCapableReceived: view.mpCapableReceived,
    ...(view.mpCapableEvidence ? { mpCapableEvidence: view.mpCapableEvidence } : {}),
    ...(accepted ? { listener: accepted } : {}),
  };
  return { ...evidence, server };
}
