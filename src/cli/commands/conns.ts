// mptcp-doctor conns: every MPTCP connection and listener of this network namespace, with the
// programs that hold them, read from the kernel (sock_diag) rather than from our own sockets.
import { selectConnections, type ConnsSelection } from '../../kernel/conns-selection.js';
import { ConnsFilterError, type ConnectionState, type ConnsFilter, type ConnsSnapshot } from '../../kernel/host-connections.js';
import { readConnsModel } from '../../kernel/read-connections.js';
import { NetlinkRequestError } from '../../kernel/netlink-frame.js';
import { isSystemError } from '../../native/binding.js';
import { connsReportPieces } from '../../report/conns.js';
import { jsonPieces } from '../../report/conns-json.js';
import { renderConnsPrometheus } from '../../report/conns-prometheus.js';
import { defineCommand } from '../command.js';
import { CannotRunError, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { checkInteger } from '../option-checks.js';

export interface ConnsJson extends ConnsSnapshot {
  schema: 'mptcp-doctor/conns/v1';
  filter: ConnsFilter;
  /** The kernel flagged a dump as inconsistent: sockets came and went while it was read. */
  interrupted: boolean;
  /** Process owners are read from /proc: without root, only this user's processes are named. */
  ownersComplete: boolean;
  durationMs: number;
}

function parsePort(value: number | undefined): number | undefined {
  checkInteger('port', value, 1, 65535);
  return value;
}

function parsePid(value: number | undefined): number | undefined {
  checkInteger('pid', value, 1, 2 ** 22);
  return value;
}

export const connsCommand = defineCommand({
  command: 'conns',
  describe: 'list every MPTCP connection and listener on this host (this network namespace), with their programs',
  builder: (y) =>
    y
      .option('port', { type: 'number', describe: 'only connections with this local or remote port, listeners on it' })
      .option('pid', { type: 'number', describe: 'only sockets held by this process' })
      .option('peer', { type: 'string', describe: 'only connections with this peer address or prefix (10.0.0.0/8)' })
      .option('state', { type: 'string', choices: ['mptcp', 'fallback'] as const, describe: 'only connections still MPTCP, or fallen back to TCP' })
      .option('format', { type: 'string', choices: ['table', 'json', 'prometheus'] as const, describe: 'output format (default table; --json = --format json)' }),
  async run(options, output) {
    if (options.json && options.format && options.format !== 'json') throw new UsageError(`--json conflicts with --format ${options.format}`);
    const format = options.format ?? (options.json ? 'json' : 'table');
    const filter: ConnsFilter = {
      ...(parsePort(options.port) !== undefined ? { port: options.port } : {}),
      ...(parsePid(options.pid) !== undefined ? { pid: options.pid } : {}),
      ...(options.peer !== undefined ? { peer: options.peer } : {}),
      ...(options.state !== undefined ? { state: options.state as ConnectionState } : {}),
    };
    const started = performance.now();
    let model;
    try {
      model = await readConnsModel();
    } catch (error) {
      if (error instanceof NetlinkRequestError) {
        throw new CannotRunError(`${error.message}${error.code === 'ENOENT' ? ' (MPTCP socket diagnostics need Linux 5.9 or newer with CONFIG_MPTCP)' : ''}`);
      }
      if (isSystemError(error)) throw new CannotRunError(`cannot read sockets from the kernel: ${error.message}`);
      throw error;
    }
    let selection: ConnsSelection;
    try {
      selection = selectConnections(model, filter);
    } catch (error) {
      if (error instanceof ConnsFilterError) throw new UsageError(error.message);
      throw error;
    }
    if (format === 'json') {
      // A ConnsJson, its connections made one at a time as they are written: what writeJson would
      // write, a few dozen connections per piece.
      const json: Record<keyof ConnsJson, unknown> = {
        schema: 'mptcp-doctor/conns/v1',
        filter,
        connections: selection.transientConnections(),
        listeners: selection.listeners,
        processes: selection.processes,
        totals: selection.totals,
        interrupted: model.interrupted,
        ownersComplete: process.getuid?.() === 0,
        durationMs: Math.round(performance.now() - started),
      };
      for (const piece of jsonPieces(json, 'connections')) output.out(piece);
    } else if (format === 'prometheus') {
      output.out(renderConnsPrometheus(selection));
    } else {
      for (const piece of connsReportPieces(selection, selection.transientConnections(), { color: output.color })) output.out(piece);
      if (process.getuid?.() !== 0) output.log('note: not root: only your own processes are named');
      if (model.interrupted) output.log('note: sockets came and went while they were read; counts may be off by a few');
    }
    return ExitCode.ok;
  },
});
