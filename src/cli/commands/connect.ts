// mptcp-doctor connect HOST:PORT: one MPTCP connection to any TCP service, reported and closed.
// Answers "does this server speak MPTCP, and over how many paths?".
import { setTimeout as sleep } from 'node:timers/promises';
import { formatHostPort, parseHostPort } from '../../net/address.js';
import { connectMptcp } from '../../net/connect.js';
import type { ConnectionReport } from '../../net/report.js';
import { renderConnection, stateWord } from '../../report/connection.js';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson } from '../output.js';

export interface ConnectJson {
  schema: 'mptcp-doctor/connect/v1';
  target: { host: string; address: string; family: 4 | 6; port: number };
  connection: ConnectionReport;
  waitedMs: number;
  ok: boolean;
  notes: string[];
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
    if (!(options.wait >= 0 && options.wait <= 60_000)) throw new UsageError('--wait must be 0-60000 milliseconds');
    if (!(options.timeout > 0 && options.timeout <= 600)) throw new UsageError('--timeout must be 0-600 seconds');
    if (options.ipv4 && options.ipv6) throw new UsageError('choose one of -4 and -6');
    const { host, port } = parseHostPort(options.target);
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

    const notes: string[] = [];
    if (report.state === 'mptcp' && report.subflows.total === 1) {
      notes.push('one subflow: extra subflows need endpoints (ip mptcp endpoint) and start only after the first data exchange');
    }
    if (report.state === 'fallback') notes.push('no MP_CAPABLE in the reply: the server lacks MPTCP or a middlebox removed the option');
    const ok = report.state === 'mptcp';
    if (options.json) {
      const json: ConnectJson = {
        schema: 'mptcp-doctor/connect/v1',
        target: { host, address: connection.remote.address, family: connection.remote.family, port },
        connection: report,
        waitedMs: options.wait,
        ok,
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
