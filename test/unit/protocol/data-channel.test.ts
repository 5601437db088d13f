// Every data-channel wire format round-trips: format then parse gives back the value, for any
// address and port; and malformed input is refused, never half-read.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  formatEprtArgument, formatEpsvReply, formatPasvReply, formatPortArgument, parseEprtArgument, parseEpsvReply,
  parsePasvReply, parsePortArgument,
} from '../../../src/protocol/data-channel.js';

const port = fc.integer({ min: 1, max: 65535 });
const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6();

describe('data-channel formats round-trip', () => {
  test('PORT argument', () => {
    fc.assert(fc.property(ipv4, port, (host, p) => {
      expect(parsePortArgument(formatPortArgument(host, p)!)).toEqual({ host, port: p });
    }));
  });

  test('227 PASV reply', () => {
    fc.assert(fc.property(ipv4, port, (host, p) => {
      expect(parsePasvReply(formatPasvReply(host, p)!)).toEqual({ host, port: p });
    }));
  });

  test('EPRT argument, IPv4 and IPv6', () => {
    fc.assert(fc.property(ipv4, port, (host, p) => {
      expect(parseEprtArgument(formatEprtArgument(host, p)!)).toEqual({ family: 4, host, port: p });
    }));
    fc.assert(
      fc.property(ipv6, port, (host, p) => {
        const parsed = parseEprtArgument(formatEprtArgument(host, p)!);
        expect(parsed?.port).toBe(p);
        // An IPv4-mapped address is sent as |1| with its IPv4 part.
        if (parsed?.family === 4) expect(host.toLowerCase()).toBe(`::ffff:${parsed.host}`);
        else expect(parsed?.host).toBe(host);
      }),
    );
  });

  test('229 EPSV reply', () => {
    fc.assert(fc.property(port, (p) => {
      expect(parseEpsvReply(formatEpsvReply(p)!)).toBe(p);
    }));
  });

  test('IPv4-mapped IPv6 addresses are sent as IPv4', () => {
    expect(formatPortArgument('::ffff:10.0.0.1', 4660)).toBe('10,0,0,1,18,52');
    expect(formatEprtArgument('::ffff:10.0.0.1', 4660)).toBe('|1|10.0.0.1|4660|');
  });
});

describe('malformed input is refused', () => {
  test.each([
    ['1,2,3,4,5', 'five numbers'],
    ['1,2,3,256,0,80', 'a byte over 255'],
    ['1,2,3,4,0,0', 'port 0'],
    ['a,b,c,d,e,f', 'not numbers'],
    ['', 'empty'],
  ])('PORT %s (%s)', (argument) => expect(parsePortArgument(argument)).toBeUndefined());

  test.each([
    ['|1|::1|80|', 'IPv4 protocol with an IPv6 address'],
    ['|2|10.0.0.1|80|', 'IPv6 protocol with an IPv4 address'],
    ['|3|10.0.0.1|80|', 'unknown protocol'],
    ['|1|10.0.0.1|0|', 'port 0'],
    ['|1|10.0.0.1|70000|', 'port over 65535'],
    ['|1|10.0.0.1|80', 'missing the closing delimiter'],
  ])('EPRT %s (%s)', (argument) => expect(parseEprtArgument(argument)).toBeUndefined());

  test('EPRT with another printable delimiter is accepted (RFC 2428)', () => {
    expect(parseEprtArgument('!1!10.0.0.1!2121!')).toEqual({ family: 4, host: '10.0.0.1', port: 2121 });
  });

  test('227 and 229 without their numbers', () => {
    expect(parsePasvReply('Entering Passive Mode')).toBeUndefined();
    expect(parseEpsvReply('Entering Extended Passive Mode (|||0|)')).toBeUndefined();
    expect(parseEpsvReply('Entering Extended Passive Mode (|||65536|)')).toBeUndefined();
  });

  test('formatters refuse what cannot be sent', () => {
    expect(formatPortArgument('::1', 80)).toBeUndefined();
    expect(formatPortArgument('10.0.0.1', 0)).toBeUndefined();
    expect(formatEprtArgument('not-an-ip', 80)).toBeUndefined();
    expect(formatEpsvReply(70000)).toBeUndefined();
  });
});
