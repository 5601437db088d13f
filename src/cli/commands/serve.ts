// mptcp-doctor serve: the MPTCP FTP probe server, the far end for `probe`, like iperf3 -s.
// Runs until SIGINT/SIGTERM, then stops gracefully (a second signal stops at once). docs/server.md
// describes its data connections: timeouts on progress, graceful close, digest jobs.
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { parseHostPort } from '../../net/address.js';
import { describeTcpReason } from '../../native/index.js';
import {
  DEFAULT_GRACE_MS, DEFAULT_SERVER_OPTIONS, formatEvent, formatSize, parseSize, startServer, tlsMaterialProblem, type ServerEvent,
} from '../../server/index.js';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { claimInterrupts } from '../interrupt.js';
import { checkInteger, checkSeconds } from '../option-checks.js';
import { writeJson } from '../output.js';

export interface ServeJson {
  schema: 'mptcp-doctor/serve/v1';
  address: string;
  port: number;
  family: 4 | 6;
  socket: 'mptcp' | 'tcp';
  tcpReason?: string;
  tls: boolean;
  /** TLS from the first byte (ftps://) rather than on AUTH TLS. */
  tlsImplicit: boolean;
}

function parsePortRange(text: string): { first: number; last: number } {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || !(first >= 1024 && first <= last && last <= 65535)) {
    throw new UsageError(`--pasv-ports "${text}": expected A-B with 1024 <= A <= B <= 65535`);
  }
  return { first, last };
}

function sizeOption(name: string, text: string): number {
  const size = parseSize(text);
  if (size === undefined) throw new UsageError(`--${name} "${text}": expected a size such as 100M or 10G`);
  return size;
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ELOOP: 'too many symbolic links',
};

/** A PEM file given on the command line; any reason it cannot be read is a usage error naming it. */
async function readPem(option: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new UsageError(`--${option} ${path}: cannot read it (${READ_ERRORS[code] ?? (code || 'read error')})`);
  }
}

/** Both files read and checked one at a time, so a mistake names its file instead of quoting OpenSSL. */
async function readTlsFiles(certPath: string, keyPath: string): Promise<{ cert: Buffer; key: Buffer }> {
  const material = { cert: await readPem('tls-cert', certPath), key: await readPem('tls-key', keyPath) };
  const problem = tlsMaterialProblem(material);
  if (problem?.part === 'cert') throw new UsageError(`--tls-cert ${certPath}: ${problem.reason}`);
  if (problem?.part === 'key') throw new UsageError(`--tls-key ${keyPath}: ${problem.reason}`);
  if (problem) throw new UsageError(`--tls-key ${keyPath}: ${problem.reason} (--tls-cert ${certPath})`);
  return material;
}

export const serveCommand = defineCommand({
  command: 'serve',
  describe: 'run an MPTCP FTP probe server (synthetic files, uploads discarded, SITE MPTCP)',
  builder: (y) =>
    y
      .option('listen', { type: 'string', default: '127.0.0.1:2121', describe: 'ADDR:PORT to listen on (0.0.0.0 or [::] for all: an explicit choice)' })
      .option('pasv-ports', { type: 'string', describe: 'passive data ports A-B (default: any free port)' })
      .option('pasv-address', { type: 'string', describe: 'IPv4 address announced in PASV replies (behind NAT)' })
      .option('max-clients', { type: 'number', default: DEFAULT_SERVER_OPTIONS.maxClients, describe: 'control connections at once' })
      .option('max-per-address', { type: 'number', default: DEFAULT_SERVER_OPTIONS.maxClientsPerAddress, describe: 'control connections at once from one address' })
      .option('idle-timeout', { type: 'number', default: DEFAULT_SERVER_OPTIONS.idleTimeoutMs / 1000, describe: 'seconds without a command before a client is disconnected' })
      .option('data-timeout', { type: 'number', default: DEFAULT_SERVER_OPTIONS.dataTimeoutMs / 1000, describe: 'seconds without a byte moving before a transfer is aborted' })
      .option('max-upload', { type: 'string', default: '10G', describe: 'largest upload accepted (bytes, or 100M, 10G)' })
      .option('max-probe-size', { type: 'string', default: '64G', describe: 'largest /probe/<size>' })
      .option('max-digest-size', { type: 'string', default: formatSize(DEFAULT_SERVER_OPTIONS.maxDigestSize), describe: 'largest /probe/<size> whose .sha256 is computed on request' })
      .option('tls-cert', { type: 'string', describe: 'PEM certificate: enables AUTH TLS (needs --tls-key)' })
      .option('tls-key', { type: 'string', describe: 'PEM private key for --tls-cert' })
      .option('tls-implicit', { type: 'boolean', default: false, describe: 'implicit FTPS (ftps://): TLS from the first byte, instead of AUTH TLS' })
      .option('tcp', { type: 'boolean', default: false, describe: 'listen with plain TCP (for comparison)' })
      .option('grace', { type: 'number', default: DEFAULT_GRACE_MS / 1000, describe: 'seconds transfers may take to finish on SIGINT/SIGTERM' })
      .option('json-log', { type: 'boolean', default: false, describe: 'log one JSON object per event on stderr' }),
  async run(options, output) {
    const { host, port } = parseHostPort(options.listen);
    checkInteger('max-clients', options['max-clients'], 1, 100_000);
    checkInteger('max-per-address', options['max-per-address'], 1, 100_000);
    checkSeconds('idle-timeout', options['idle-timeout'], 86_400);
    checkSeconds('data-timeout', options['data-timeout'], 86_400);
    const pasvAddress = options['pasv-address'];
    if (pasvAddress !== undefined && !net.isIPv4(pasvAddress)) {
      throw new UsageError(`--pasv-address "${pasvAddress}": expected an IPv4 address (PASV replies carry IPv4 only)`);
    }
    checkSeconds('grace', options.grace, 3600, { allowZero: true });
    if (Boolean(options['tls-cert']) !== Boolean(options['tls-key'])) throw new UsageError('--tls-cert and --tls-key go together');
    const tls = options['tls-cert'] && options['tls-key'] ? await readTlsFiles(options['tls-cert'], options['tls-key']) : undefined;
    if (options['tls-implicit'] && !tls) throw new UsageError('--tls-implicit needs --tls-cert and --tls-key');
    const pasvPorts = options['pasv-ports'] ? parsePortRange(options['pasv-ports']) : undefined;
    const maxUpload = sizeOption('max-upload', options['max-upload']);
    const maxProbeSize = sizeOption('max-probe-size', options['max-probe-size']);
    const maxDigestSize = sizeOption('max-digest-size', options['max-digest-size']);
    const logger = (event: ServerEvent) => {
      if (event.level === 'debug' && !options.verbose) return;
      if (event.event === 'command' && !options.verbose && !options['json-log']) return;
      output.log(options['json-log'] ? JSON.stringify(event) : formatEvent(event));
    };
    const server = await startServer({
      host,
      port,
      pasvPorts,
      pasvAddress,
      maxClients: options['max-clients'],
      maxClientsPerAddress: options['max-per-address'],
      idleTimeoutMs: options['idle-timeout'] * 1000,
      dataTimeoutMs: options['data-timeout'] * 1000,
      maxUpload,
      maxProbeSize,
      maxDigestSize,
      tls,
      tlsImplicit: options['tls-implicit'],
      tcp: options.tcp,
      logger,
    });
    // The first SIGINT/SIGTERM stops accepting and gives transfers --grace seconds; a second ends
    // the process at once (src/cli/interrupt.ts). Claimed before the announcement: whoever waits
    // for "serving" may signal us at once.
    const interrupt = claimInterrupts();
    const stopped = new Promise<void>((resolve) => {
      const stop = () => void server.close(options.grace * 1000).then(resolve);
      if (interrupt.signal.aborted) stop();
      else interrupt.signal.addEventListener('abort', stop, { once: true });
    });
    if (options.json) {
      const json: ServeJson = {
        schema: 'mptcp-doctor/serve/v1',
        address: server.address,
        port: server.port,
        family: server.family,
        socket: server.socket,
        ...(server.tcpReason ? { tcpReason: server.tcpReason } : {}),
        tls: Boolean(tls),
        tlsImplicit: Boolean(tls) && options['tls-implicit'],
      };
      writeJson(output, json);
    } else {
      const where = server.family === 6 ? `[${server.address}]:${server.port}` : `${server.address}:${server.port}`;
      const kind = server.socket === 'mptcp' ? 'MPTCP' : `plain TCP${server.tcpReason ? ` (${describeTcpReason(server.tcpReason)})` : ''}`;
      const scheme = tls && options['tls-implicit'] ? 'ftps' : 'ftp';
      const security = tls ? (options['tls-implicit'] ? ', implicit FTPS' : ', AUTH TLS available') : '';
      output.out(`serving ${scheme}://${where}/ with ${kind}${security}; Ctrl-C stops`);
    }
    await stopped;
    interrupt.release();
    // The entry point ends the process by the signal that stopped us (130, 143).
    return ExitCode.ok;
  },
});
