// What get and put share beyond the FTP options: their own options (mode, resume, --require-mptcp),
// one session (src/session) whose step is the file transfer, the progress bar, the --verbose log,
// and the JSON fields. The verdict on each connection comes from the session, as for probe.
import type { Argv } from 'yargs';
import { summarizeReply, type FileTransferResult, type FtpClient, type FtpObserver, type FtpUrl, type ModeRequest } from '../ftp/index.js';
import { NetworkError } from '../net/errors.js';
import { formatHostPort } from '../net/address.js';
import { readPathManagerView } from '../session/expected-subflows.js';
import { everyConnectionHeld, type ConnectionRecord } from '../session/record.js';
import { notAnFtpServer } from '../session/far-end.js';
import { runSession, type SessionOutcome } from '../session/session.js';
import type { CounterSnapshot } from '../sys/counters.js';
import type { Verdict } from '../verdict/verdict.js';
import { timelineFromTransfer } from '../report/timeline/from-transfer.js';
import type { SessionTimeline } from '../report/timeline/session-timeline.js';
import { renderSparklines } from '../report/timeline/sparkline.js';
import type { GlobalOptions } from './command.js';
import { UsageError } from './errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { checkSharedOptions, ftpSharedOptions, Scrubber, sessionTarget, sessionTimeouts, type FtpSharedOptions } from './ftp-options.js';
import { claimInterrupts, InterruptedError, interruptionWord } from './interrupt.js';
import type { Output } from './output.js';
import { progressBar } from './progress-bar.js';
import { REPORT_OPTION, reportTarget, writeReport } from './report-option.js';

export interface FileTransferOptions extends FtpSharedOptions {
  continue: boolean;
  active: boolean;
  mode?: string;
  'require-mptcp': boolean;
  quiet: boolean;
  report?: string;
}

export function fileTransferOptions<T extends GlobalOptions>(y: Argv<T>) {
  return ftpSharedOptions(y, { timeout: 30, idleTimeout: 60, maxTimeScope: 'the whole transfer' })
    .option('continue', { alias: 'C', type: 'boolean', default: false, describe: 'resume a partial transfer (REST for get, SIZE + APPE for put)' })
    .option('active', { type: 'boolean', default: false, describe: 'active mode: EPRT, then PORT' })
    .option('mode', { choices: ['epsv', 'pasv', 'eprt', 'port'] as const, describe: 'one data connection mode only' })
    .option('require-mptcp', { type: 'boolean', default: false, describe: 'exit 1 unless MPTCP held on every connection' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print nothing but errors (no progress, no summary)' })
    .option('report', REPORT_OPTION);
}

export function checkFileTransferOptions(options: GlobalOptions & FileTransferOptions): void {
  checkSharedOptions(options);
  if (Array.isArray(options.mode)) throw new UsageError('give --mode once');
  if (options.active && options.mode && !['eprt', 'port'].includes(options.mode)) throw new UsageError(`--active contradicts --mode ${options.mode}`);
  if (options.quiet && options.verbose) throw new UsageError('choose one of --quiet and --verbose');
  if (options.tcp && options['require-mptcp']) throw new UsageError('--require-mptcp contradicts --tcp (plain TCP asked for)');
}

/** Observer for get/put: the --verbose log of commands, notes and connections. */
function verboseObserver(output: Output, scrubber: Scrubber): FtpObserver {
  return {
    onCommand(command, reply) {
      output.log(scrubber.scrub(`> ${command}\n< ${summarizeReply(reply)}`));
    },
    onNote(message) {
      output.log(`note: ${scrubber.scrub(message)}`);
    },
    onConnection(role, mode, connection) {
      try {
        const report = connection.report();
        output.log(`${role}${mode ? ` (${mode})` : ''} connection: ${report.socket} socket, ${report.state}`);
      } catch {
        // sampling for a log line only
      }
    },
  };
}

/** What get and put report after one transfer. */
export interface FileTransferSession {
  result: FileTransferResult;
  security: 'none' | 'explicit' | 'implicit';
  session: SessionOutcome<FileTransferResult>;
  bytes: number;
  durationMs: number;
  /** What the client noted, what the counters say (stalls), and an already complete file. */
  notes: string[];
  /** The time series of every connection, as the JSON, the sparklines and the HTML report carry it. */
  timeline: SessionTimeline;
}

export interface FileTransferSessionOptions {
  url: FtpUrl;
  options: GlobalOptions & FileTransferOptions;
  output: Output;
  /** Progress bar label: 'get' or 'put'. */
  label: string;
  /** The transfer itself, given the logged-in client and the progress bar's start. */
  transfer(client: FtpClient, onStart: (start: { offset: number; size?: number }) => void): Promise<FileTransferResult>;
  /** Note when there was nothing left to move. */
  alreadyComplete: string;
  /** Error message when Ctrl-C ("interrupted") or SIGTERM ("terminated") stopped it. */
  interrupted(word: string): string;
  /** False when the data itself goes to the terminal (get - on a terminal): no bar across it. */
  progress?: boolean;
  /** What the reports call each end: the remote URL without password, the transfer's direction. */
  display: { remote: string; direction: 'download' | 'upload' };
}

/**
 * One get or put: a session whose step is the transfer, with a progress bar and Ctrl-C handling.
 * Errors come back scrubbed of the password; an interrupted transfer keeps what it wrote (the .part,
 * for get).
 */
export async function runFileTransfer(request: FileTransferSessionOptions): Promise<FileTransferSession> {
  const { url, options, output } = request;
  const scrubber = new Scrubber();
  // Before the interruption is claimed: Ctrl-C at the password prompt ends the process at once.
  const target = await sessionTarget(url, options, scrubber);
  const report = await reportTarget(options.report);
  const bar = await progressBar(output, request.label, { quiet: options.quiet || request.progress === false });
  let offset = 0;
  const interrupt = claimInterrupts();
  const mode: ModeRequest = (options.mode as ModeRequest | undefined) ?? (options.active ? 'active' : 'passive');
  try {
    const session = await runSession(
      {
        target,
        mode,
        timeouts: sessionTimeouts(options),
        signal: interrupt.signal,
        pathManager: readPathManagerView(),
        observer: {
          ...(options.verbose ? verboseObserver(output, scrubber) : {}),
          onDataProgress: (bytes) => bar.update(offset + bytes),
        },
      },
      (context) =>
        context.sampled('transfer', () =>
          request.transfer(context.client, ({ offset: start, size }) => {
            offset = start;
            bar.start(size, start);
          }),
        ),
    );
    bar.stop();
    if (interrupt.signal.aborted) {
      // Stopped cleanly: sockets closed, the .part kept for --continue.
      const { signal } = interrupt.signal.reason as InterruptedError;
      throw new InterruptedError(request.interrupted(interruptionWord(signal)), signal);
    }
    if (session.failure) {
      const notFtp = notAnFtpServer(session, sessionTimeouts(options).replyMs);
      if (notFtp) throw new NetworkError(`${formatHostPort(target.host, target.port)} ${notFtp}`, 'not-ftp-server');
      throw scrubber.error(session.failure.error);
    }
    const result = session.value!;
    const notes = [...session.findings, ...session.notes.map((note) => scrubber.scrub(note))];
    if (!result.transfer) notes.push(request.alreadyComplete);
    const bytes = result.transfer?.bytes ?? 0;
    const durationMs = result.transfer?.durationMs ?? 0;
    const timeline = timelineFromTransfer({
      command: request.label === 'put' ? 'put' : 'get',
      target: request.display.remote,
      direction: request.display.direction,
      bytes,
      durationMs,
      notes,
      session,
    });
    if (report) await writeReport(report, timeline, (html) => scrubber.scrub(html));
    return { result, security: target.security, session, bytes, durationMs, notes, timeline };
  } finally {
    bar.stop();
    interrupt.release();
  }
}

/** The JSON fields get/v1 and put/v1 share. */
export interface FileTransferJsonFields {
  /** Every connection's time series (docs/report.md), as probe --json carries it. */
  timeline: SessionTimeline;
  /** Bytes moved by this run. */
  bytes: number;
  /** Size of the file at the end (resume offset + bytes). */
  totalBytes: number;
  offset: number;
  durationMs: number;
  bytesPerSecond: number;
  mode: string | null;
  tls: boolean;
  tcpForced: boolean;
  /** The same connection records as probe's: verdict, samples over time, the last report. */
  connections: ConnectionRecord[];
  /** The worst connection verdict (the same engine as probe's). */
  verdict: Verdict;
  /** MPTCP held on every connection (what --require-mptcp demands). */
  allMptcp: boolean;
  ok: boolean;
  notes: string[];
  /** Counter deltas of the client's network namespace: MPTcpExt, and the TcpExt receive-window ones. */
  counters: { client: CounterSnapshot; clientTcp: CounterSnapshot };
}

export function fileTransferJsonFields(transfer: FileTransferSession, options: FileTransferOptions): FileTransferJsonFields {
  const { result, bytes, durationMs, session } = transfer;
  const held = everyConnectionHeld(session.records);
  return {
    timeline: transfer.timeline,
    bytes,
    totalBytes: result.totalBytes,
    offset: result.offset,
    durationMs,
    bytesPerSecond: durationMs > 0 ? Math.round((bytes * 1000) / durationMs) : 0,
    mode: result.transfer?.mode ?? null,
    tls: transfer.security !== 'none',
    tcpForced: options.tcp,
    connections: session.records,
    verdict: session.verdict,
    allMptcp: held,
    ok: !options['require-mptcp'] || held,
    notes: transfer.notes,
    counters: { client: session.counters.client.mptcp, clientTcp: session.counters.client.tcp },
  };
}

/** Where get/put print their report: `toStderr` when the data itself owns stdout (get ... -). */
export interface FileTransferReportTarget {
  direction: 'download' | 'upload';
  local: string;
  remote: string;
  toStderr: boolean;
}

/**
 * The human report of a get or put, and its exit code. By default a summary (what moved, how fast,
 * and one line on MPTCP); with --verbose the full per-connection report; with --quiet nothing. A
 * --require-mptcp failure is an error, so it is said on stderr even under --quiet.
 */
export async function reportFileTransfer(
  transfer: FileTransferSession,
  options: GlobalOptions & FileTransferOptions,
  output: Output,
  where: FileTransferReportTarget,
): Promise<ExitCodeValue> {
  const { result, notes, bytes, durationMs } = transfer;
  const connections = transfer.session.records;
  const fields = fileTransferJsonFields(transfer, options);
  if (!options.quiet) {
    // The table renderer loads only for human output (--json skips its start-up cost).
    const { renderTransfer, renderTransferSummary } = await import('../report/transfer.js');
    const summary = { ...where, bytes, totalBytes: result.totalBytes, offset: result.offset, durationMs, connections, notes };
    const color = output.color && !where.toStderr;
    let text = options.verbose ? renderTransfer(summary, color) : renderTransferSummary(summary, color);
    if (options.verbose) {
      // The same series as the HTML report, as a line per subflow.
      const sparklines = renderSparklines(transfer.timeline, color, true);
      if (sparklines) text = `${text.replace(/\n$/, '')}\n\n${sparklines}\n`;
    }
    if (where.toStderr) output.log(text);
    else output.out(text);
  }
  if (fields.ok) return ExitCode.ok;
  output.log('mptcp-doctor: MPTCP did not hold on every connection, and --require-mptcp demands it');
  return ExitCode.problem;
}
