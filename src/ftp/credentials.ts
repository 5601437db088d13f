// Who we log in as: URL user:pass, then --user user[:pass], then ~/.netrc (only when nothing was
// given), then anonymous. A netrc holding a password must not be readable by others (ftp(1) rule).
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FtpCredentialsError, MissingPasswordError, NetrcSyntaxError } from './errors.js';

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

interface NetrcToken {
  text: string;
  line: number;
  /** Written in double quotes: a value, never a keyword or a comment. */
  quoted: boolean;
}

const KEYWORDS = ['machine', 'default', 'login', 'password', 'account', 'macdef'];

/**
 * Splits a .netrc into tokens with their line numbers. Values may be double-quoted with \" \\ \n
 * \r \t escapes (as curl reads them, so a password may hold spaces); a macdef body runs to the next
 * empty line and is skipped. `#` starts a comment where a keyword is expected (not inside a value:
 * passwords may contain #).
 */
function tokenize(text: string, source: string): NetrcToken[] {
  const tokens: NetrcToken[] = [];
  const lines = text.split(/\r?\n/);
  let expectValue = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let at = 0;
    while (at < line.length) {
      while (at < line.length && /\s/.test(line[at]!)) at++;
      if (at >= line.length) break;
      if (line[at] === '"') {
        let value = '';
        at++;
        let closed = false;
        while (at < line.length) {
          const ch = line[at]!;
          if (ch === '"') {
            closed = true;
            at++;
            break;
          }
          if (ch === '\\' && at + 1 < line.length) {
            const next = line[at + 1]!;
            value += next === 'n' ? '\n' : next === 'r' ? '\r' : next === 't' ? '\t' : next;
            at += 2;
            continue;
          }
          value += ch;
          at++;
        }
        if (!closed) throw new NetrcSyntaxError(`${source} line ${i + 1}: a quoted value has no closing "`);
        tokens.push({ text: value, line: i + 1, quoted: true });
        expectValue = false;
        continue;
      }
      const startAt = at;
      while (at < line.length && !/\s/.test(line[at]!)) at++;
      const word = line.slice(startAt, at);
      if (!expectValue && word.startsWith('#')) break;
      tokens.push({ text: word, line: i + 1, quoted: false });
      if (!expectValue && word === 'macdef') {
        // The macro's name ends the line; its body runs to the next empty line.
        const name = line.slice(at).trim();
        if (!name) throw new NetrcSyntaxError(`${source} line ${i + 1}: "macdef" needs a macro name`);
        tokens.push({ text: name, line: i + 1, quoted: true });
        while (i + 1 < lines.length && lines[i + 1]!.trim() !== '') i++;
        break;
      }
      expectValue = !expectValue && KEYWORDS.includes(word) && word !== 'default';
    }
  }
  return tokens;
}

/**
 * Entries of a .netrc: machine/default with login/password (account and macdef are read and
 * ignored). Anything else is a syntax error naming its line: a netrc we misread would log in as the
 * wrong user or send a password to the wrong host, so garbage is reported, never skipped.
 */
export function parseNetrc(text: string, source = '.netrc'): NetrcEntry[] {
  const entries: NetrcEntry[] = [];
  const tokens = tokenize(text, source);
  let current: NetrcEntry | undefined;
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]!;
    const where = `${source} line ${token.line}`;
    if (token.quoted || !KEYWORDS.includes(token.text)) {
      throw new NetrcSyntaxError(`${where}: unexpected "${token.text}" (expected machine, default, login, password, account or macdef)`);
    }
    if (token.text === 'default') {
      current = {};
      entries.push(current);
      continue;
    }
    const value = tokens[t + 1];
    if (value === undefined || (!value.quoted && KEYWORDS.includes(value.text) && token.text !== 'password' && token.text !== 'account')) {
      throw new NetrcSyntaxError(`${where}: "${token.text}" needs a value`);
    }
    t++;
    if (token.text === 'machine') {
      current = { machine: value.text };
      entries.push(current);
    } else if (token.text === 'macdef') {
      // a macro for ftp(1): nothing for us
    } else if (!current) {
      throw new NetrcSyntaxError(`${where}: "${token.text}" before any "machine" or "default"`);
    } else if (token.text === 'login') {
      current.login = value.text;
    } else if (token.text === 'password') {
      current.password = value.text;
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
  const entries = parseNetrc(text, path);
  const match =
    entries.find((e) => e.machine === host && (login === undefined || e.login === login)) ??
    entries.find((e) => e.machine === undefined && (login === undefined || e.login === login));
  if (match?.password !== undefined && (mode & 0o077) !== 0) {
    throw new FtpCredentialsError(`${path} holds a password and is readable by others: run chmod 600 ${path}`);
  }
  return match;
}

export interface CredentialsInput {
  host: string;
  urlUser?: string;
  urlPassword?: string;
  /** --user "user[:pass]". */
  option?: string;
  /** The password the user typed at a prompt or gave on stdin, for the user the URL or --user names. */
  password?: string;
  netrc?: string;
}

/**
 * Picks the credentials. A user named without a password takes the supplied one (prompt, stdin),
 * else netrc's, and fails with MissingPasswordError when there is none: the caller may ask for it
 * on a terminal; nothing here prompts, so this works the same in scripts.
 */
export function resolveCredentials(input: CredentialsInput): Credentials {
  if (input.urlUser !== undefined) {
    return { user: input.urlUser, password: input.urlPassword ?? input.password ?? passwordFor(input.host, input.urlUser, input.netrc), source: 'url' };
  }
  if (input.option !== undefined) {
    const colon = input.option.indexOf(':');
    const user = colon < 0 ? input.option : input.option.slice(0, colon);
    if (!user) throw new FtpCredentialsError('--user needs a user name: --user NAME[:PASSWORD]');
    if (/[\r\n\0]/.test(input.option)) throw new FtpCredentialsError('--user contains CR, LF or NUL');
    const password = colon >= 0 ? input.option.slice(colon + 1) : (input.password ?? passwordFor(input.host, user, input.netrc));
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
  throw new MissingPasswordError(user, `no password for ${user}: type it at the prompt on a terminal, give --password-stdin, or add it to ${netrc ?? netrcPath()}`);
}
