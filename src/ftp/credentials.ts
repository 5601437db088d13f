// Who we log in as: URL user:pass, then --user user[:pass], then ~/.netrc (only when nothing was
// given), then anonymous. A netrc holding a password must not be readable by others (ftp(1) rule).
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FtpCredentialsError } from './errors.js';

export interface Credentials {
  user: string;
  /** Never printed. */
  password: string;
  source: 'url' | 'option' | 'netrc' | 'anonymous';
}

export interface NetrcEntry {
  machine?: string; // undefined for "default"
  login?: string;
  password?: string;
}

export const ANONYMOUS: Credentials = { user: 'anonymous', password: 'mptcp-doctor@', source: 'anonymous' };

/** Tokens of a .netrc: machine/default/login/password/account; macdef bodies are skipped. */
export function parseNetrc(text: string): NetrcEntry[] {
  const entries: NetrcEntry[] = [];
  const lines = text.split(/\r?\n/);
  let current: NetrcEntry | undefined;
  for (let i = 0; i < lines.length; i++) {
    const tokens = lines[i]!.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean);
    for (let t = 0; t < tokens.length; t++) {
      const token = tokens[t]!;
      const value = tokens[t + 1];
      if (token === 'machine') {
        current = { machine: value };
        entries.push(current);
        t++;
      } else if (token === 'default') {
        current = {};
        entries.push(current);
      } else if (token === 'login' && current) {
        current.login = value;
        t++;
      } else if (token === 'password' && current) {
        current.password = value;
        t++;
      } else if (token === 'account') {
        t++;
      } else if (token === 'macdef') {
        // A macro runs to the next empty line.
        while (i + 1 < lines.length && lines[i + 1]!.trim() !== '') i++;
        break;
      }
    }
  }
  return entries;
}

export function netrcPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NETRC ?? join(env.HOME ?? homedir(), '.netrc');
}

/** The netrc entry for `host` (or the default one), refusing an unsafe file that holds a password. */
export function lookupNetrc(host: string, path = netrcPath(), login?: string): NetrcEntry | undefined {
  let text: string;
  let mode: number;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined; // no netrc is the normal case
  }
  const entries = parseNetrc(text);
  const match =
    entries.find((e) => e.machine === host && (login === undefined || e.login === login)) ??
    entries.find((e) => e.machine === undefined && (login === undefined || e.login === login));
  if (match?.password !== undefined && (mode & 0o077) !== 0) {
    throw new FtpCredentialsError(`${path} holds a password and is readable by others: run chmod 600 ${path}`);
  }
  return match;
}

/**
 * Picks the credentials. `option` is --user "user[:pass]". A user without a password takes it
 * from netrc, and fails clearly when there is none (we never prompt: this must work in scripts).
 */
export function resolveCredentials(input: { host: string; urlUser?: string; urlPassword?: string; option?: string; netrc?: string }): Credentials {
  if (input.urlUser !== undefined) {
    return { user: input.urlUser, password: input.urlPassword ?? passwordFor(input.host, input.urlUser, input.netrc), source: 'url' };
  }
  if (input.option !== undefined) {
    const colon = input.option.indexOf(':');
    const user = colon < 0 ? input.option : input.option.slice(0, colon);
    if (!user) throw new FtpCredentialsError('--user needs a user name: --user NAME[:PASSWORD]');
    if (/[\r\n\0]/.test(input.option)) throw new FtpCredentialsError('--user contains CR, LF or NUL');
    const password = colon < 0 ? passwordFor(input.host, user, input.netrc) : input.option.slice(colon + 1);
    return { user, password, source: 'option' };
  }
  const entry = lookupNetrc(input.host, input.netrc);
  if (entry?.login) return { user: entry.login, password: entry.password ?? '', source: 'netrc' };
  return ANONYMOUS;
}

function passwordFor(host: string, user: string, netrc?: string): string {
  if (user === 'anonymous' || user === 'ftp') return ANONYMOUS.password;
  const entry = lookupNetrc(host, netrc, user);
  if (entry?.password !== undefined) return entry.password;
  throw new FtpCredentialsError(`no password for ${user}: give NAME:PASSWORD or add it to ${netrc ?? netrcPath()}`);
}
