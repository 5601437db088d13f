import { describe, expect, test } from 'vitest';
import { AddressSyntaxError, parseHostPort, resolveHost } from '../../../src/net/address.js';
import { NetworkError } from '../../../src/net/errors.js';
import { classifyRefusal } from '../../../src/native/socket-factory.js';

describe('parseHostPort', () => {
  test.each([
    ['example.org:21', { host: 'example.org', port: 21 }],
    ['10.0.0.1:2121', { host: '10.0.0.1', port: 2121 }],
    ['[::1]:22', { host: '::1', port: 22 }],
    ['[fe80::1%eth0]:22', { host: 'fe80::1%eth0', port: 22 }],
  ])('%s', (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
  });

  test.each(['example.org', ':21', 'host:0', 'host:65536', 'host:2x', '::1:22', '[::1]'])('rejects %s', (text) => {
    expect(() => parseHostPort(text)).toThrow(AddressSyntaxError);
  });

  test.each([
    ['ftp://host/', '"ftp://host/" is a URL: give HOST:PORT (here host:21)'],
    ['ftp://host:2121/dir/', '"ftp://host:2121/dir/" is a URL: give HOST:PORT (here host:2121)'],
    ['https://user@example.org/', '"https://user@example.org/" is a URL: give HOST:PORT (here example.org:443)'],
    ['ftp://[::1]/', '"ftp://[::1]/" is a URL: give HOST:PORT (here [::1]:21)'],
    ['gopher://h/', '"gopher://h/" is a URL: give HOST:PORT'],
  ])('a URL where HOST:PORT belongs: %s', (text, message) => {
    expect(() => parseHostPort(text)).toThrow(AddressSyntaxError);
    expect(() => parseHostPort(text)).toThrow(message);
  });

  test('default port', () => {
    expect(parseHostPort('[::1]', 21)).toEqual({ host: '::1', port: 21 });
    expect(parseHostPort('ftp.example', 21)).toEqual({ host: 'ftp.example', port: 21 });
  });
});

describe('resolveHost', () => {
  test('literals pass through with their family', async () => {
    expect(await resolveHost('127.0.0.1')).toEqual([{ address: '127.0.0.1', family: 4 }]);
    expect(await resolveHost('::1')).toEqual([{ address: '::1', family: 6 }]);
  });

  test('an unknown name is one NetworkError ENOTFOUND', async () => {
    await expect(resolveHost('no-such-host.invalid')).rejects.toMatchObject({ code: 'ENOTFOUND', name: 'NetworkError' });
    await expect(resolveHost('no-such-host.invalid')).rejects.toBeInstanceOf(NetworkError);
  });
});

test.each([
  ['ENOPROTOOPT', 'disabled'],
  ['EPROTONOSUPPORT', 'unsupported'],
  ['EINVAL', 'old-kernel'],
  ['EACCES', 'blocked'],
  ['EPERM', 'blocked'],
  ['EIO', 'unknown'],
])('socket(IPPROTO_MPTCP) refused with %s means %s', (code, reason) => {
  expect(classifyRefusal(code)).toBe(reason);
});
