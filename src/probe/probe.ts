// The whole probe: one run per data mode (default passive then active: the active run is what
// reveals an FTP ALG), an overall verdict, and one plain result object for the renderers.
import { stallFinding } from '../session/findings.js';
import { readPathManagerView } from '../session/expected-subflows.js';
import type { ConnectionRecord } from '../session/record.js';
import type { CounterSnapshot } from '../sys/counters.js';
import type { ProbeMode } from '../verdict/evidence.js';
import { worstVerdict, type Verdict } from '../verdict/verdict.js';
import { runMode, type ProbeRun, type ProbeTarget, type ProbeTimeouts } from './run-mode.js';

export const PROBE_SCHEMA = 'mptcp-doctor/probe/v1';
export const DEFAULT_PROBE_MODES: ProbeMode[] = ['passive', 'active'];
export const ALL_PROBE_MODES: ProbeMode[] = ['epsv', 'pasv', 'eprt', 'port'];

export interface ProbeOptions {
  target: ProbeTarget;
  /** Shown in reports instead of the target (no password). */
  display: string;
  modes: ProbeMode[];
  size: number;
  upload: boolean;
  timeouts: ProbeTimeouts;
  signal?: AbortSignal;
  /** Bytes moved so far in the current run (a progress display). */
  onProgress?(mode: ProbeMode, bytes: number): void;
}

/** A run as the result carries it: its connections are in the result's `connections` (by `run`). */
export type ProbeRunSummary = Omit<ProbeRun, 'connections'>;

export interface ProbeResult {
  schema: typeof PROBE_SCHEMA;
  target: { url: string; host: string; port: number; server: 'serve' | 'other' };
  verdict: Verdict;
  /** Every connection of every run, in order, each once; `run` indexes `runs`. */
  connections: Array<ConnectionRecord & { run: number }>;
  runs: ProbeRunSummary[];
  /**
   * All runs together; `matched` is true only when every digest that could be checked matched, null
   * when none could be checked, and then `notVerified` says why.
   */
  transfer: { bytes: number; seconds: number; sha256?: string; matched: boolean | null; notVerified?: string };
  /**
   * 'could-not-run': a run failed for a reason no MPTCP evidence explains; `error` says which. The
   * verdict then covers only what was observed before, and the exit code is 4, not 1.
   */
  outcome: 'judged' | 'could-not-run';
  error?: { code: string; message: string; exitCode: 4 };
  /** MPTcpExt deltas summed over the runs (client namespace; the server's from SITE MPTCP). */
  counters: { client: CounterSnapshot; clientTcp: CounterSnapshot; server?: CounterSnapshot };
  /** Findings from the counters (stalls), as sentences; what the client noted is in each run's `notes`. */
  notes: string[];
  durationMs: number;
}

function addCounters(into: CounterSnapshot, from: CounterSnapshot | undefined): void {
  for (const [name, value] of Object.entries(from ?? {})) into[name] = (into[name] ?? 0) + value;
}

/** The connections of run `index`, from a result. */
export function runConnections(result: ProbeResult, index: number): ConnectionRecord[] {
  return result.connections.filter((c) => c.run === index);
}

export async function runProbe(options: ProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  // Read while the first run talks to the server: `ip` takes tens of milliseconds.
  const pathManager = readPathManagerView();
  const runs: ProbeRun[] = [];
  for (const mode of options.modes) {
    if (options.signal?.aborted) break;
    runs.push(
      await runMode({
        target: options.target,
        mode,
        size: options.size,
        upload: options.upload,
        timeouts: options.timeouts,
        pathManager,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: (bytes: number) => options.onProgress!(mode, bytes) } : {}),
        // Once a run found mptcp-doctor serve, later runs need not ask again.
        ...(runs.some((run) => run.server.kind === 'serve') ? { farEnd: { serve: true as const } } : {}),
      }),
    );
  }
  return probeResult(options, runs, started);
}

/** The runs summed up: one verdict, every connection once, the counters added, the findings on them. */
export function probeResult(options: Pick<ProbeOptions, 'target' | 'display'>, runs: ProbeRun[], started: number): ProbeResult {
  const client: CounterSnapshot = {};
  const clientTcp: CounterSnapshot = {};
  let server: CounterSnapshot | undefined;
  for (const run of runs) {
    addCounters(client, run.counters.client);
    addCounters(clientTcp, run.counters.clientTcp);
    if (run.counters.server) addCounters((server ??= {}), run.counters.server);
  }
  const transfers = runs.flatMap((run) => run.transfers);
  const checked = transfers.filter((t) => t.matched !== null);
  const unverified = transfers.find((t) => t.matched === null && !t.error && t.notVerified);
  const failed = runs.find((run) => run.outcome === 'could-not-run');
  const stall = stallFinding({ mptcp: client, tcp: clientTcp });
  return {
    schema: PROBE_SCHEMA,
    target: {
      url: options.display,
      host: options.target.host,
      port: options.target.port,
      server: runs.some((run) => run.server.kind === 'serve') ? 'serve' : 'other',
    },
    verdict: worstVerdict(runs.map((run) => run.verdict)),
    connections: runs.flatMap((run, index) => run.connections.map((c) => ({ ...c, run: index }))),
    runs: runs.map(({ connections: _connections, ...run }) => run),
    transfer: {
      bytes: transfers.reduce((sum, t) => sum + t.bytes, 0),
      seconds: transfers.reduce((sum, t) => sum + t.seconds, 0),
      ...(transfers[0]?.sha256 ? { sha256: transfers[0].sha256 } : {}),
      matched: checked.length === 0 ? null : checked.every((t) => t.matched === true),
      ...(checked.length === 0 && unverified?.notVerified ? { notVerified: unverified.notVerified } : {}),
    },
    outcome: failed ? 'could-not-run' : 'judged',
    ...(failed?.error
      ? { error: { code: failed.error.kind, message: `the probe could not run (${failed.mode} mode, ${failed.error.stage}): ${failed.error.message}`, exitCode: 4 as const } }
      : {}),
    counters: { client, clientTcp, ...(server ? { server } : {}) },
    notes: stall ? [stall.text] : [],
    durationMs: Date.now() - started,
  };
}

/** A connection verdict that names a problem (plain TCP on request is none). */
function isProblem(c: { status: string; cause: string }): boolean {
  return c.status === 'degraded' || c.status === 'fell-back' || (c.status === 'not-attempted' && c.cause !== 'none');
}

/**
 * 4 when a run could not be done and no MPTCP evidence explains why (the failure is reported, not
 * blamed on MPTCP); 1 when a verdict names an MPTCP problem; 0 when MPTCP held (or plain TCP was
 * asked for) on every connection.
 */
export function probeExitCode(result: ProbeResult): 0 | 1 | 4 {
  if (result.outcome === 'could-not-run') return 4;
  if (result.connections.length === 0) return 4;
  return result.connections.some(isProblem) || result.runs.some((run) => run.error) ? 1 : 0;
}
