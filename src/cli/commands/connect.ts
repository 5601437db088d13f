// mptcp-doctor connect HOST:PORT: one MPTCP connection to any TCP service, reported and closed.
// Answers "does this server speak MPTCP, and over how many paths?".
import { setTimeout as sleep } from 'node:timers/promises';
import { formatHostPort, parseHostPort } from '../../net/address.js';
import { connectMptcp } from '../../net/connect.js';
import type { ConnectionReport } from '../../net/report.js';
import { counterDeltas, readMptcpCountersSync, type CounterSnapshot } from '../../sys/counters.js';
import { renderConnection, stateWord } from '../../report/connection.js';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { checkFamily, checkSeconds } from '../option-checks.js';
import { writeJson } from '../output.js';

export interface ConnectJson {
  schema: 'mptcp-doctor/connect/v1';
  target: { host: string; address: string; family: 4 | 6; port: number };
  connection: ConnectionReport;
  waitedMs: number;
  ok: boolean;
  /**
   * Why the connection is not MPTCP, when the kernel's counters say: 'blackhole' (MP_CAPABLE SYNs
   * were dropped and retried without it), 'blackhole-active' (active MPTCP disabled, the SYN carried
   * no MP_CAPABLE), 'peer-or-path-no-mptcp' (the SYN-ACK came back without it).
   */
  cause: 'blackhole' | 'blackhole-active' | 'peer-or-path-no-mptcp' | null;
  /** MPTcpExt deltas of this namespace around the connect (namespace-wide). */
  counters: CounterSnapshot;
  notes: string[];
}

/** Why a connection we opened fell back, from the counters around its handshake. */
export function fallbackCause(report: ConnectionReport, deltas: CounterSnapshot): { cause: ConnectJson['cause']; note?: string } {
  if (report.state !== 'fallback') return { cause: null };
  const dropped = deltas.MPCapableSYNTXDrop ?? 0;
  const disabled = deltas.MPCapableSYNTXDisabled ?? 0;
  const retrans = report.subflowDetails[0]?.tcp?.totalRetrans;
  if (dropped > 0) {
    return {
      cause: 'blackhole',
      note:
        `blackhole: the SYNs carrying MP_CAPABLE were dropped, so the kernel retried without the option (MPCapableSYNTXDrop +${dropped}` +
        `${retrans ? `, ${retrans} SYN retransmission${retrans === 1 ? '' : 's'}` : ''}); a firewall on the path drops SYNs with unknown TCP options. ` +
        'The server may well speak MPTCP. Active MPTCP may now be disabled for a while: see `mptcp-doctor check --only blackhole`',
    };
  }
  if (disabled > 0) {
    return {
      cause: 'blackhole-active',
      note:
        `active MPTCP is disabled on this host after an earlier blackhole detection: this SYN carried no MP_CAPABLE (MPCapableSYNTXDisabled +${disabled}). ` +
        'It re-enables itself after net.mptcp.blackhole_timeout; see `mptcp-doctor check --only blackhole`',
    };
  }
  return { cause: 'peer-or-path-no-mptcp', note: 'no MP_CAPABLE in the reply: the server lacks MPTCP or a middlebox removed the option' };
}

export const connectCommand = defineCommand({
  command: 'connect <target>',
  describe: 'open one MPTCP connection to HOST:PORT and report what the kernel says about it',
  builder: (y) =>
    y
      .positional('target', { type: 'string', demandOption: true, describe: 'HOST:PORT, IPv4:PORT or [IPv6]:PORT' })
      .option('wait', { type: 'number', default: 300, describe: 'milliseconds to wait for extra subflows before reporting' })
      .option('timeout', { type: 'number', default: 10, describe: 'connect timeout in seconds' })
      .option('tcp', { type: 'boolean', default: false, describe: 'use a plain TCP socket (for comparison)' })
      .option('ipv4', { alias: '4', type: 'boolean', default: false, describe: 'IPv4 only' })
      .option('ipv6', { alias: '6', type: 'boolean', default: false, describe: 'IPv6 only' }),
  async run(options, output) {
    if (!(options.wait >= 0 && options.wait <= 60_000)) throw new UsageError(`--wait must be 0 to 60000 milliseconds (got ${options.wait})`);
    checkSeconds('timeout', options.timeout, 600);
    const { host, port } = parseHostPort(options.target);
    checkFamily(host, options);
    // Namespace-wide, so another program's connections may add to them; they are what tells a
    // blackhole (SYNs with MP_CAPABLE dropped, retried without it) from a server without MPTCP.
    const countersBefore = readMptcpCountersSync() ?? {};
    const connection = await connectMptcp({
      host,
      port,
      tcp: options.tcp,
      timeoutMs: options.timeout * 1000,
      family: options.ipv4 ? 4 : options.ipv6 ? 6 : undefined,
    });
    // A server that talks first (FTP, SSH, SMTP) lets the connection become fully established and
    // the path manager add subflows; we read nothing, we only give it the time.
    // A server that closes first (or resets) must not take the socket away before we read it:
    // keep our side open after its FIN, and sample at the FIN in case a reset follows.
    connection.socket.allowHalfOpen = true;
    let report = connection.report();
    const sampleAtEnd = () => {
      if (!connection.socket.destroyed) report = connection.report();
    };
    connection.socket.on('error', () => undefined);
    connection.socket.once('end', sampleAtEnd);
    connection.socket.resume();
    if (options.wait > 0) await sleep(options.wait);
    sampleAtEnd();
    connection.socket.destroy();

    const counters = counterDeltas(countersBefore, readMptcpCountersSync() ?? countersBefore);
    const notes: string[] = [];
    if (report.state === 'mptcp' && report.subflows.total === 1) {
      notes.push('one subflow: extra subflows need endpoints (ip mptcp endpoint) and start only after the first data exchange');
    }
    const why = fallbackCause(report, counters);
    if (why.note) notes.push(why.note);
    // Plain TCP is a success when it is what --tcp asked for (the comparison run).
    const ok = report.state === 'mptcp' || (options.tcp && report.state === 'tcp');
    if (options.json) {
      const json: ConnectJson = {
        schema: 'mptcp-doctor/connect/v1',
        target: { host, address: connection.remote.address, family: connection.remote.family, port },
        connection: report,
        waitedMs: options.wait,
        ok,
        cause: why.cause,
        counters,
        notes,
      };
      writeJson(output, json);
    } else {
      const where = formatHostPort(connection.remote.address, port);
      const count = report.subflows.total;
      output.out(`${where}: ${stateWord(report, output.color)}${report.state === 'mptcp' ? `, ${count} subflow${count === 1 ? '' : 's'}` : ''}\n`);
      output.out(renderConnection(report, output.color));
      for (const note of notes) output.out(`note: ${note}`);
    }
    return ok ? ExitCode.ok : ExitCode.problem;
  },
});
