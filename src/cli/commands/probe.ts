// mptcp-doctor probe URL: a real FTP transfer through our MPTCP client, every connection watched,
// and a verdict per connection on whether MPTCP held and, when it did not, the most likely cause.
import { parseFtpUrl, resolveCredentials } from '../../ftp/index.js';
import type { ProbeMode } from '../../probe/evidence.js';
import { ALL_PROBE_MODES, DEFAULT_PROBE_MODES, probeExitCode, runProbe } from '../../probe/probe.js';
import { ProbeCannotRunError } from '../../probe/run-mode.js';
import { renderProbe } from '../../report/probe.js';
import { parseSize } from '../../server/size.js';
import { defineCommand } from '../command.js';
import { registerKnownError, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { readCaFile, Scrubber } from './ftp-common.js';

registerKnownError(ProbeCannotRunError, ExitCode.network);

const MODE_CHOICES = ['passive', 'active', 'epsv', 'pasv', 'eprt', 'port', 'all'] as const;

/** --mode takes one mode, a comma list, or 'all' (the four data modes: a matrix). */
export function parseModes(values: readonly string[] | undefined): ProbeMode[] {
  if (!values || values.length === 0) return DEFAULT_PROBE_MODES;
  const modes = values.flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase()).filter(Boolean);
  const unknown = modes.filter((m) => !(MODE_CHOICES as readonly string[]).includes(m));
  if (unknown.length > 0) throw new UsageError(`unknown --mode ${unknown.join(',')}: use ${MODE_CHOICES.join(', ')}`);
  const expanded = modes.flatMap((m) => (m === 'all' ? ALL_PROBE_MODES : [m as ProbeMode]));
  return [...new Set(expanded)];
}

export const probeCommand = defineCommand({
  command: 'probe <url>',
  describe: 'run an FTP transfer over MPTCP and tell, per connection, whether MPTCP held and why not',
  builder: (y) =>
    y
      .positional('url', { type: 'string', demandOption: true, describe: 'ftp://HOST[:PORT]/[FILE] (a server URL probes mptcp-doctor serve)' })
      .option('mode', { type: 'string', array: true, describe: 'passive, active, epsv, pasv, eprt, port, or all (default: passive then active)' })
      .option('size', { type: 'string', default: '1M', describe: 'size of /probe/<size> when the far end is mptcp-doctor serve' })
      .option('upload', { type: 'boolean', default: false, describe: 'also upload SIZE bytes (mptcp-doctor serve only)' })
      .option('timeout', { type: 'number', default: 60, describe: 'seconds each run may take' })
      .option('user', { alias: 'u', type: 'string', describe: 'USER[:PASSWORD] (default: URL, ~/.netrc, anonymous)' })
      .option('tls', { type: 'boolean', default: false, describe: 'explicit FTPS (AUTH TLS): an FTP ALG cannot read the control channel' })
      .option('insecure', { alias: 'k', type: 'boolean', default: false, describe: 'do not verify the server certificate' })
      .option('ca', { type: 'string', describe: 'trust the CA certificates in FILE (PEM)' })
      .option('tcp', { type: 'boolean', default: false, describe: 'plain TCP sockets (to compare)' })
      .option('ipv4', { alias: '4', type: 'boolean', default: false, describe: 'IPv4 only' })
      .option('ipv6', { alias: '6', type: 'boolean', default: false, describe: 'IPv6 only' }),
  async run(options, output) {
    const url = parseFtpUrl(options.url);
    const modes = parseModes(options.mode);
    const size = parseSize(options.size);
    if (size === undefined || size <= 0) throw new UsageError(`bad --size "${options.size}": use bytes or a size such as 1M, 10M, 1G`);
    if (!(options.timeout > 0 && options.timeout <= 3600)) throw new UsageError('--timeout must be 0-3600 seconds');
    if (options.ipv4 && options.ipv6) throw new UsageError('choose one of -4 and -6');
    const path = url.isDirectory || url.path === '' ? undefined : url.path;
    if (options.upload && path) throw new UsageError('--upload needs a server URL (mptcp-doctor serve), not a file');
    const credentials = resolveCredentials({ host: url.host, urlUser: url.user, urlPassword: url.password, option: options.user });
    const ca = options.ca ? readCaFile(options.ca) : undefined;
    // A server may echo the password in a reply that ends up in evidence or an error.
    const scrubber = new Scrubber();
    if (credentials.source !== 'anonymous') scrubber.secret = credentials.password;
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      const result = await runProbe({
        target: {
          host: url.host,
          port: url.port,
          ...(path ? { path } : {}),
          user: credentials.user,
          password: credentials.password,
          security: url.security === 'none' && options.tls ? 'explicit' : url.security,
          tls: { insecure: options.insecure, ...(ca ? { ca } : {}) },
          tcp: options.tcp,
          family: options.ipv4 ? 4 : options.ipv6 ? 6 : undefined,
        },
        display: url.display,
        modes,
        size,
        upload: options.upload,
        timeoutMs: options.timeout * 1000,
        signal: controller.signal,
      });
      const text = options.json ? JSON.stringify(result, null, 2) : renderProbe(result, output.color, options.verbose);
      output.out(scrubber.scrub(text));
      return probeExitCode(result);
    } catch (error) {
      if (error instanceof ProbeCannotRunError) throw new ProbeCannotRunError(scrubber.scrub(error.message), { cause: error.cause });
      throw error;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
});
