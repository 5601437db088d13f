// Watches every connection an FTP client makes and samples it at each step of the probe:
// after connect, after login, after each data-channel command, during the transfer and at the end.
// The samples, the commands and the odd replies become the evidence the verdict rules read.
import type { FtpConnectionHandle, FtpObserver } from '../ftp/index.js';
import type { FtpReply } from '../ftp/reply-parser.js';
import type { ConnectionReport } from '../net/report.js';
import type { ConnectionEvidence, ConnectionSample, ProbeMode, ReplyAnomaly } from '../verdict/evidence.js';
import type { ConnectionPurpose } from './record.js';

export interface TrackedConnection {
  evidence: ConnectionEvidence;
  handle: FtpConnectionHandle;
  openedAtMs: number;
  closedAtMs?: number;
  /** Report taken just before the socket closed (data connections), or at the end (control). */
  final?: ConnectionReport;
  /** What the data connection was for. */
  purpose: ConnectionPurpose;
  /** Our end's address when the connection was made (what the expected subflow count depends on). */
  local?: { address: string; family: 4 | 6 };
  /** The MPTCP token (mptcp_info), the key of the kernel's events about this connection. */
  token?: number;
}

/** Data-channel commands an FTP ALG looks at. */
const DATA_COMMANDS = /^(PORT|EPRT|PASV|EPSV)\b/i;
/**
 * Core RFC 959 commands a server must understand: a 500/501 to one we sent well-formed means the
 * server did not receive what we sent. Extensions (FEAT, EPSV, EPRT, SIZE, SITE...) may be unknown.
 */
const CORE_COMMANDS = /^(USER|PASS|TYPE|PORT|PASV|RETR|STOR|APPE|REST|CWD|PWD|NOOP|QUIT|LIST|NLST|MODE|STRU)\b/i;

/**
 * A subflow counts once its handshake completed and until it is closed: a join still in SYN-SENT
 * (perhaps never answered) and a reset subflow lingering in CLOSE are both in the kernel's list.
 */
const NOT_CARRYING = new Set(['syn-sent', 'syn-recv', 'new-syn-recv', 'close', 'listen']);

export function sampleOf(report: ConnectionReport, phase: string, atMs: number): ConnectionSample {
  const alive = report.subflowDetails.filter((s) => !NOT_CARRYING.has(s.tcp?.state ?? 'established'));
  const progress: Record<string, number> = {};
  for (const subflow of alive) {
    if (!subflow.local || !subflow.tcp) continue;
    const key = subflow.local.family === 6 ? `[${subflow.local.address}]:${subflow.local.port}` : `${subflow.local.address}:${subflow.local.port}`;
    progress[key] = (subflow.tcp.bytesReceived ?? 0) + (subflow.tcp.bytesAcked ?? 0);
  }
  return {
    phase,
    atMs,
    state: report.state,
    subflows: report.state !== 'mptcp' ? 1 : report.subflowDetails.length > 0 ? alive.length : report.subflows.total,
    localAddresses: alive.map((s) => s.local?.address).filter((a): a is string => a !== undefined),
    ...(Object.keys(progress).length > 0 ? { progress } : {}),
    ...(report.state === 'mptcp' && report.subflowDetails.length > alive.length ? { notCarrying: report.subflowDetails.length - alive.length } : {}),
  };
}

export class ConnectionTracker {
  readonly connections: TrackedConnection[] = [];
  readonly anomalies: ReplyAnomaly[] = [];
  readonly notes: string[] = [];
  private readonly started = Date.now();
  private purpose: Exclude<ConnectionPurpose, 'control'> = 'transfer';
  private replies = 0;
  /** The server's first reply (its greeting). */
  greeting: string | undefined;

  constructor(private readonly mode: ProbeMode) {}

  now(): number {
    return Date.now() - this.started;
  }

  get control(): TrackedConnection | undefined {
    return this.connections.find((c) => c.evidence.role === 'control');
  }

  /** The data connection currently open, if any. */
  get openData(): TrackedConnection | undefined {
    return this.connections.find((c) => c.evidence.role === 'data' && c.closedAtMs === undefined);
  }

  /** The next data connections are for this purpose. */
  setPurpose(purpose: Exclude<ConnectionPurpose, 'control'>): void {
    this.purpose = purpose;
  }

  /** Samples a connection if it is still open; a closed one keeps its last sample. */
  sample(tracked: TrackedConnection | undefined, phase: string): void {
    if (!tracked || tracked.handle.closed) return;
    try {
      const report = tracked.handle.report();
      tracked.evidence.samples.push(sampleOf(report, phase, this.now()));
      tracked.final = report;
      if (report.info?.token) tracked.token ??= report.info.token;
    } catch {
      // closed between the check and the read: nothing to sample
    }
  }

  /** Samples every open connection. */
  sampleAll(phase: string): void {
    for (const tracked of this.connections) if (tracked.closedAtMs === undefined) this.sample(tracked, phase);
  }

  /**
   * A connection whose socket is gone although it did not end normally: the client (or the far
   * end) tore it down, and what the kernel counts from now on may be our own teardown.
   */
  closedUnexpectedly(): boolean {
    return this.connections.some((tracked) => tracked.closedAtMs === undefined && tracked.handle.closed);
  }

  /** The FTP greeting (or any reply) arrived: the far end speaks FTP. */
  get heardReply(): boolean {
    return this.replies > 0;
  }

  finish(tracked: TrackedConnection | undefined): void {
    if (!tracked || tracked.closedAtMs !== undefined) return;
    tracked.closedAtMs = this.now();
    tracked.evidence.durationMs = tracked.closedAtMs - tracked.openedAtMs;
  }

  observer(): FtpObserver {
    return {
      onConnection: (role, mode, handle) => {
        let report: ConnectionReport | undefined;
        try {
          report = handle.report();
        } catch {
          report = undefined;
        }
        const dataMode = role === 'data' ? (mode ?? this.mode) : undefined;
        // Active-mode data connections are opened by the server towards our listener.
        const opener = dataMode === 'eprt' || dataMode === 'port' || dataMode === 'active' ? 'server' : 'client';
        const tracked: TrackedConnection = {
          handle,
          openedAtMs: this.now(),
          purpose: role === 'control' ? 'control' : this.purpose,
          ...(report?.local ? { local: { address: report.local.address, family: report.local.family } } : {}),
          evidence: {
            role,
            ...(dataMode ? { mode: dataMode } : { mode: this.mode }),
            opener,
            socket: report?.socket ?? 'mptcp',
            ...(report?.socketReason ? { socketReason: report.socketReason } : {}),
            samples: [],
            // Set when the run ends, from the path manager (read meanwhile, off the critical path).
            expectedSubflows: 1,
            durationMs: 0,
            commands: [],
          },
        };
        if (report?.info?.token) tracked.token = report.info.token;
        this.connections.push(tracked);
        this.sample(tracked, 'connect');
      },
      onCommand: (command, reply) => this.onCommand(command, reply),
      onReply: (reply) => {
        if (this.replies === 0) this.greeting = reply.message;
        this.replies += 1;
      },
      onNote: (message) => this.notes.push(message),
      onDataStart: () => this.sample(this.openData, 'transfer-start'),
      onDataEnd: (result) => {
        const data = this.openData;
        if (!data) return;
        if (result.report) {
          data.final = result.report;
          if (result.report.info?.token) data.token ??= result.report.info.token;
          data.evidence.samples.push(sampleOf(result.report, 'end', this.now()));
        }
        this.finish(data);
      },
    };
  }

  private onCommand(command: string, reply: FtpReply): void {
    const verb = command.split(' ')[0]!.toUpperCase();
    const control = this.control;
    if (DATA_COMMANDS.test(command) && control) {
      control.evidence.commands!.push({ command: verb, atMs: this.now() });
      this.sample(control, `after-${verb}`);
    }
    if ((reply.code === 500 || reply.code === 501) && CORE_COMMANDS.test(command)) {
      this.anomalies.push({ command: verb, code: reply.code, text: reply.message, atMs: this.now() });
    }
  }
}
