// ftp:// URLs and where credentials come from (URL, --user, ~/.netrc, anonymous).
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, lookupNetrc, parseNetrc, resolveCredentials } from '../../../src/ftp/credentials.js';
import { FtpCredentialsError, FtpUrlError, MissingPasswordError, NetrcSyntaxError } from '../../../src/ftp/errors.js';
import { parseFtpUrl, redact, remoteBasename } from '../../../src/ftp/url.js';

describe('parseFtpUrl', () => {
  it.each([
    ['ftp://example.org/pub/file.iso', { security: 'none', host: 'example.org', port: 21, path: 'pub/file.iso', isDirectory: false }],
    ['ftp://10.0.0.1:2121/f', { host: '10.0.0.1', port: 2121, path: 'f' }],
    ['ftp://[fd00::1]/dir/', { host: 'fd00::1', port: 21, path: 'dir/', isDirectory: true }],
    ['ftps://h/f', { security: 'implicit', port: 990 }],
    ['ftps://h:21/f', { security: 'implicit', port: 21 }],
    ['ftpes://h/f', { security: 'explicit', port: 21 }],
    ['ftp://h/%2Fetc/motd', { path: '/etc/motd' }],
    ['ftp://h/a%20b;type=i', { path: 'a b' }],
    ['FTP://h/x', { scheme: 'ftp' }],
  ])('%s', (text, expected) => expect(parseFtpUrl(text)).toMatchObject(expected));

  it('decodes user and password, and never displays the password', () => {
    const url = parseFtpUrl('ftp://bob:s%40cret@h/f');
    expect(url.user).toBe('bob');
    expect(url.password).toBe('s@cret');
    expect(url.display).toBe('ftp://bob@h/f');
  });

  it.each([
    ['http://h/f', /unsupported scheme "http:"/],
    ['h/f', /expected ftp:\/\/HOST\/PATH/],
    ['ftp:///f', /bad URL/],
    ['ftp://h/f?x=1', /no \?query/],
    ['ftp://h/%E0%A4%A', /percent-encoding/],
    ['ftp://h/a%0D%0AQUIT', /CR, LF/],
    ['ftp://h:99999/f', /^bad URL "ftp:\/\/h:99999\/f": port 99999 is out of range \(1-65535\)$/],
    ['ftp://h:0/f', /port 0 is out of range/],
    ['ftp://h:abc/f', /port "abc" is not a number/],
    ['ftp://:21/f', /: no host$/],
    ['ftp://user@/f', /: no host$/],
    ['ftp://fd00::1/f', /write an IPv6 address in brackets/],
    ['ftp://[fd00::1/f', /closing "\]"/],
    ['gopher://h/f', /^unsupported scheme "gopher:": use ftp:\/\/, ftpes:\/\/ \(explicit FTPS\) or ftps:\/\/ \(implicit FTPS\)$/],
  ])('rejects %s', (text, message) => {
    expect(() => parseFtpUrl(text)).toThrow(FtpUrlError);
    expect(() => parseFtpUrl(text)).toThrow(message);
  });

  it('keeps passwords out of its errors', () => {
    expect(() => parseFtpUrl('ftp://u:hunter2@h/f?q')).toThrow(/^(?!.*hunter2)/s);
    expect(redact('ftp://u:hunter2@h/f')).toBe('ftp://***@h/f');
  });

  it('takes the basename', () => {
    expect(remoteBasename('a/b/c.bin')).toBe('c.bin');
    expect(remoteBasename('a/')).toBeUndefined();
  });
});

describe('credentials', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'netrc-'));
  function netrc(text: string, mode: number): string {
    const file = path.join(dir, `n${Math.random().toString(16).slice(2)}`);
    writeFileSync(file, text);
    chmodSync(file, mode);
    return file;
  }

  it('parses machine, default and macdef', () => {
    const entries = parseNetrc('machine a login u password p\nmacdef init\ncd /\n\ndefault login anonymous password x@\n');
    expect(entries).toEqual([{ machine: 'a', login: 'u', password: 'p' }, { login: 'anonymous', password: 'x@' }]);
  });

  it('prefers the URL, then --user, then netrc, then anonymous', () => {
    const file = netrc('machine h login n password np\n', 0o600);
    expect(resolveCredentials({ host: 'h', urlUser: 'u', urlPassword: 'up', option: 'o:op', netrc: file })).toMatchObject({ user: 'u', password: 'up', source: 'url' });
    expect(resolveCredentials({ host: 'h', option: 'o:op', netrc: file })).toMatchObject({ user: 'o', password: 'op', source: 'option' });
    expect(resolveCredentials({ host: 'h', netrc: file })).toMatchObject({ user: 'n', password: 'np', source: 'netrc' });
    expect(resolveCredentials({ host: 'other', netrc: file })).toEqual(ANONYMOUS);
    expect(resolveCredentials({ host: 'h', option: 'n', netrc: file })).toMatchObject({ user: 'n', password: 'np' });
    expect(resolveCredentials({ host: 'h', option: 'x:a:b', netrc: file }).password).toBe('a:b');
  });

  it('refuses a netrc with a password that others can read', () => {
    const file = netrc('machine h login n password np\n', 0o644);
    expect(() => lookupNetrc('h', file)).toThrow(FtpCredentialsError);
    expect(() => lookupNetrc('h', file)).toThrow(/chmod 600/);
    expect(() => lookupNetrc('h', file)).not.toThrow(/np/);
    // without a password the mode does not matter
    expect(lookupNetrc('h', netrc('machine h login n\n', 0o644))).toEqual({ machine: 'h', login: 'n' });
  });

  it('fails clearly for a user without a password anywhere', () => {
    expect(() => resolveCredentials({ host: 'h', option: 'bob', netrc: path.join(dir, 'none') })).toThrow(/no password for bob/);
    expect(resolveCredentials({ host: 'h', option: 'anonymous', netrc: path.join(dir, 'none') }).password).toBe(ANONYMOUS.password);
  });

  it('takes a password typed at a prompt or read from stdin for the user named', () => {
    const none = path.join(dir, 'none');
    expect(resolveCredentials({ host: 'h', option: 'bob', password: 'typed', netrc: none })).toMatchObject({ user: 'bob', password: 'typed', source: 'option' });
    expect(resolveCredentials({ host: 'h', urlUser: 'bob', password: 'typed', netrc: none })).toMatchObject({ user: 'bob', password: 'typed', source: 'url' });
    // A password in --user or the URL wins.
    expect(resolveCredentials({ host: 'h', option: 'bob:given', password: 'typed', netrc: none }).password).toBe('given');
    const missing = (() => {
      try {
        resolveCredentials({ host: 'h', option: 'bob', netrc: none });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(missing).toBeInstanceOf(MissingPasswordError);
    expect((missing as MissingPasswordError).user).toBe('bob');
    expect((missing as Error).message).toMatch(/--password-stdin/);
  });
});

describe('a .netrc with garbage is reported with its line', () => {
  it.each([
    ['machine h\n  login bob\n  pasword x\n', 'n line 3: unexpected "pasword" (expected machine, default, login, password, account or macdef)'],
    ['login bob\n', 'n line 1: "login" before any "machine" or "default"'],
    ['machine h login\n', 'n line 1: "login" needs a value'],
    ['machine h login bob password "unterminated\n', 'n line 1: a quoted value has no closing "'],
    ['machine h login bob password p extra\n', 'n line 1: unexpected "extra"'],
    ['machine\n', 'n line 1: "machine" needs a value'],
  ])('%j', (text, message) => {
    expect(() => parseNetrc(text, 'n')).toThrow(NetrcSyntaxError);
    expect(() => parseNetrc(text, 'n')).toThrow(message);
  });

  it('is a credentials error (exit 2) naming the file, from lookupNetrc', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'netrc-bad-')), 'netrc');
    writeFileSync(file, 'machine h login bob passwd x\n');
    chmodSync(file, 0o600);
    expect(() => lookupNetrc('h', file)).toThrow(FtpCredentialsError);
    expect(() => lookupNetrc('h', file)).toThrow(`${file} line 1: unexpected "passwd"`);
  });

  it('still reads what is valid: quotes with escapes, # in a password, comments, values on the next line', () => {
    const text = '# my hosts\nmachine a login u password "two words \\"q\\""\nmachine b # old box\n  login v\n  password p#ss\nmachine\n c login w password x\n';
    expect(parseNetrc(text)).toEqual([
      { machine: 'a', login: 'u', password: 'two words "q"' },
      { machine: 'b', login: 'v', password: 'p#ss' },
      { machine: 'c', login: 'w', password: 'x' },
    ]);
  });
});
