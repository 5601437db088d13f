// The options every FTP command shares (get, put, probe), their checks, and the one mapping from a
// URL and those options to a session target. Timeouts mean the same everywhere: --timeout for the
// connect and each reply, --idle-timeout for a data connection without progress, --max-time for the
// whole transfer (curl's names where curl has them).
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { FtpError, MissingPasswordError, resolveCredentials, type Credentials, type CredentialsInput, type FtpUrl } from '../ftp/index.js';
import type { SessionTarget, SessionTimeouts } from '../session/session.js';
import type { GlobalOptions } from './command.js';
import { UsageError } from './errors.js';
import { checkFamily, checkSeconds } from './option-checks.js';
import { canPrompt, promptPassword, readPasswordFromStdin } from './password-input.js';

export interface FtpSharedOptions {
  user?: string;
  'password-stdin': boolean;
  tls: boolean;
  insecure: boolean;
  ca?: string;
  tcp: boolean;
  timeout: number;
  'idle-timeout': number;
  'max-time'?: number;
  ipv4: boolean;
  ipv6: boolean;
}

export interface TimeoutDefaults {
  timeout: number;
  idleTimeout: number;
  /** Seconds; undefined for no limit. */
  maxTime?: number;
  /** What --max-time bounds, for its help text. */
  maxTimeScope: string;
}

export function ftpSharedOptions<T extends GlobalOptions>(y: Argv<T>, defaults: TimeoutDefaults) {
  return y
    .option('user', { alias: 'u', type: 'string', describe: 'USER[:PASSWORD] (default: URL, ~/.netrc, anonymous); without a password: ~/.netrc, else asked on a terminal; a password here is visible in ps' })
    .option('password-stdin', { type: 'boolean', default: false, describe: 'read the password from the first line of stdin (for scripts)' })
    .option('tls', { type: 'boolean', default: false, describe: 'explicit FTPS (AUTH TLS), as ftpes://' })
    .option('insecure', { alias: 'k', type: 'boolean', default: false, describe: 'do not verify the server certificate' })
    .option('ca', { type: 'string', describe: 'trust the CA certificates in FILE (PEM)' })
    .option('tcp', { type: 'boolean', default: false, describe: 'plain TCP sockets (to compare)' })
    .option('timeout', { type: 'number', default: defaults.timeout, describe: 'seconds for the connect and for each reply' })
    .option('idle-timeout', { type: 'number', default: defaults.idleTimeout, describe: 'seconds a data connection may go without progress' })
    .option('max-time', {
      type: 'number',
      ...(defaults.maxTime !== undefined ? { default: defaults.maxTime } : {}),
      describe: `seconds ${defaults.maxTimeScope} may take (default: no limit)`,
    })
    .option('ipv4', { alias: '4', type: 'boolean', default: false, describe: 'IPv4 only' })
    .option('ipv6', { alias: '6', type: 'boolean', default: false, describe: 'IPv6 only' });
}

export function checkSharedOptions(options: FtpSharedOptions): void {
  for (const name of ['user', 'ca'] as const) {
    if (Array.isArray(options[name])) throw new UsageError(`give --${name} once`);
  }
  checkSeconds('timeout', options.timeout, 3600);
  checkSeconds('idle-timeout', options['idle-timeout'], 86_400);
  checkSeconds('max-time', options['max-time'], 7 * 86_400);
  if (options.ipv4 && options.ipv6) throw new UsageError('choose one of -4 and -6');
}

export function sessionTimeouts(options: FtpSharedOptions): SessionTimeouts {
  return {
    connectMs: options.timeout * 1000,
    replyMs: options.timeout * 1000,
    idleMs: options['idle-timeout'] * 1000,
    ...(options['max-time'] !== undefined ? { maxMs: options['max-time'] * 1000 } : {}),
  };
}

/** The PEM file of --ca, or a usage error naming it. */
export function readCaFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`--ca ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/**
 * Keeps the password out of server text we print: a server may echo it back ("530 bad password
 * hunter2"). PASS itself is masked by the client; this covers replies, notes and error messages.
 */
export class Scrubber {
  secret: string | undefined;

  scrub(text: string): string {
    if (!this.secret || this.secret.length < 3) return text;
    // Also its JSON-escaped form, for output that is JSON.
    const escaped = JSON.stringify(this.secret).slice(1, -1);
    return text.split(this.secret).join('****').split(escaped).join('****');
  }

  /** The same error with its message scrubbed (FtpError keeps its kind and reply code). */
  error(error: unknown): unknown {
    if (!(error instanceof Error) || this.scrub(error.message) === error.message) return error;
    if (error instanceof FtpError) return new FtpError(this.scrub(error.message), error.kind, undefined, { cause: error });
    const scrubbed = new (error.constructor as new (message: string, options?: { cause?: unknown }) => Error)(this.scrub(error.message), { cause: error.cause });
    return scrubbed;
  }
}

/**
 * Who logs in, with a password from the URL, --user, --password-stdin, ~/.netrc or, on a terminal,
 * a prompt without echo (src/ftp/credentials.ts has the order).
 */
async function credentialsFor(url: FtpUrl, options: FtpSharedOptions): Promise<Credentials> {
  const input: CredentialsInput = {
    host: url.host,
    ...(url.user !== undefined ? { urlUser: url.user } : {}),
    ...(url.password !== undefined ? { urlPassword: url.password } : {}),
    ...(options.user !== undefined ? { option: options.user } : {}),
  };
  if (options['password-stdin']) {
    if (url.password !== undefined || options.user?.includes(':')) throw new UsageError('--password-stdin conflicts with a password in the URL or in --user');
    if (url.user === undefined && options.user === undefined) throw new UsageError('--password-stdin needs a user: --user NAME or ftp://NAME@HOST/');
    return resolveCredentials({ ...input, password: await readPasswordFromStdin() });
  }
  try {
    return resolveCredentials(input);
  } catch (error) {
    if (!(error instanceof MissingPasswordError) || !canPrompt()) throw error;
    return resolveCredentials({ ...input, password: await promptPassword(`Password for ${error.user}@${url.host}: `) });
  }
}

/** The URL and options as a session target; the scrubber learns the password. */
export async function sessionTarget(url: FtpUrl, options: FtpSharedOptions, scrubber: Scrubber): Promise<SessionTarget> {
  checkFamily(url.host, options);
  const ca = options.ca ? readCaFile(options.ca) : undefined;
  const credentials = await credentialsFor(url, options);
  if (credentials.source !== 'anonymous') scrubber.secret = credentials.password;
  return {
    host: url.host,
    port: url.port,
    user: credentials.user,
    password: credentials.password,
    security: url.security === 'none' && options.tls ? 'explicit' : url.security,
    tls: { insecure: options.insecure, ...(ca ? { ca } : {}) },
    tcp: options.tcp,
    ...(options.ipv4 ? { family: 4 as const } : options.ipv6 ? { family: 6 as const } : {}),
  };
}
