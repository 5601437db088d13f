// ftp:// URLs (RFC 1738 section 3.2): ftp://[user[:password]@]host[:port]/path. ftpes:// is
// explicit FTPS (AUTH TLS, port 21), ftps:// implicit FTPS (TLS from the first byte, port 990).
import { FtpUrlError } from './errors.js';
import type { FtpSecurity } from './client.js';

export interface FtpUrl {
  scheme: 'ftp' | 'ftps' | 'ftpes';
  security: FtpSecurity;
  host: string;
  port: number;
  user?: string;
  /** Never printed: use `display` for messages. */
  password?: string;
  /** Path relative to the login directory ("dir/file"); "/etc/f" when the URL said %2Fetc/f. */
  path: string;
  /** The URL ends with "/": a directory (put appends the local file name). */
  isDirectory: boolean;
  /** The URL without its password, safe for output. */
  display: string;
}

const DEFAULT_PORTS = { ftp: 21, ftpes: 21, ftps: 990 } as const;

export function parseFtpUrl(text: string): FtpUrl {
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text);
  if (!schemeMatch) throw new FtpUrlError(`bad URL "${redact(text)}": expected ftp://HOST/PATH`);
  const scheme = schemeMatch[1]!.toLowerCase();
  if (scheme !== 'ftp' && scheme !== 'ftps' && scheme !== 'ftpes') {
    throw new FtpUrlError(`unsupported scheme "${scheme}:": use ftp://, ftpes:// (explicit FTPS) or ftps:// (implicit FTPS)`);
  }
  const bad = (why: string) => new FtpUrlError(`bad URL "${redact(text)}": ${why}`);
  checkAuthority(text.slice(schemeMatch[0].length).split('/')[0]!.replace(/^.*@/, ''), bad);
  let url: URL;
  try {
    // WHATWG parses ftp: as a special scheme; give the others the same treatment via ftp:.
    url = new URL(`ftp://${text.slice(schemeMatch[0].length)}`);
  } catch {
    throw bad('not a valid URL (a space or another character that must be percent-encoded?)');
  }
  if (!url.hostname) throw bad('no host');
  if (url.search || url.hash) throw bad('FTP URLs have no ?query or #fragment (percent-encode ? as %3F, # as %23)');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // WHATWG drops the default port of ftp: (21), so "ftps://h:21/" would look like no port: read it.
  const authority = text.slice(schemeMatch[0].length).split('/')[0]!.replace(/^.*@/, '');
  const explicitPort = /:(\d+)$/.exec(authority.replace(/^\[[^\]]*\]/, ''));
  const port = url.port ? Number(url.port) : explicitPort ? Number(explicitPort[1]) : DEFAULT_PORTS[scheme];
  let rawPath = url.pathname.replace(/;type=[aid]$/i, '');
  const isDirectory = rawPath.endsWith('/');
  rawPath = rawPath.replace(/^\//, '');
  let path: string;
  try {
    path = rawPath.split('/').map(decodeURIComponent).join('/');
  } catch {
    throw new FtpUrlError(`bad URL "${redact(text)}": bad percent-encoding in the path`);
  }
  if (/[\r\n\0]/.test(path)) throw new FtpUrlError('bad URL: the path contains CR, LF or NUL');
  let user: string | undefined;
  let password: string | undefined;
  try {
    user = url.username ? decodeURIComponent(url.username) : undefined;
    password = url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    throw new FtpUrlError('bad URL: bad percent-encoding in the user or password');
  }
  if (/[\r\n\0]/.test(`${user ?? ''}${password ?? ''}`)) throw new FtpUrlError('bad URL: the user or password contains CR, LF or NUL');
  const security: FtpSecurity = scheme === 'ftps' ? 'implicit' : scheme === 'ftpes' ? 'explicit' : 'none';
  const hostText = host.includes(':') ? `[${host}]` : host;
  const display = `${scheme}://${user ? `${encodeURIComponent(user)}@` : ''}${hostText}${port === DEFAULT_PORTS[scheme] ? '' : `:${port}`}${url.pathname}`;
  return { scheme, security, host, port, ...(user !== undefined ? { user } : {}), ...(password !== undefined ? { password } : {}), path, isDirectory, display };
}

/**
 * What the WHATWG parser would only call "invalid": no host, a port that is not a number or out of
 * range, an IPv6 address without brackets. `authority` is HOST[:PORT] without the user part.
 */
function checkAuthority(authority: string, bad: (why: string) => Error): void {
  let host = authority;
  let port: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) throw bad('an IPv6 address needs its closing "]"');
    host = authority.slice(0, close + 1);
    const rest = authority.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw bad(`unexpected "${rest}" after the IPv6 address`);
    if (rest.startsWith(':')) port = rest.slice(1);
  } else {
    const colons = authority.split(':').length - 1;
    if (colons > 1) throw bad('write an IPv6 address in brackets: ftp://[ADDRESS]:PORT/');
    if (colons === 1) [host, port] = authority.split(':') as [string, string];
  }
  if (host === '' || host === '[]') throw bad('no host');
  // An empty port means the scheme's default (as curl reads "ftp://host:/").
  if (port === undefined || port === '') return;
  if (!/^\d+$/.test(port)) throw bad(`port "${port}" is not a number`);
  if (!(Number(port) >= 1 && Number(port) <= 65535)) throw bad(`port ${port} is out of range (1-65535)`);
}

/** The text with any user:password@ part replaced, for error messages. */
export function redact(text: string): string {
  return text.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^@/]*@/, '$1***@');
}

/** The last path segment ("dir/file.iso" -> "file.iso"); undefined for a directory. */
export function remoteBasename(path: string): string | undefined {
  const name = path.split('/').pop();
  return name ? name : undefined;
}
