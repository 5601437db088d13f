// Values inside replies (227, 229, 213, FEAT, 150) and PORT/EPRT arguments, table-driven.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FtpError, FtpProtocolError } from '../../../src/ftp/errors.js';
import {
  formatEprtArgument, formatPortArgument, maskCommand, parseEpsvReply, parseFeatReply, parsePasvReply,
  parseSizeReply, parseTransferSize,
} from '../../../src/ftp/reply-values.js';

describe('parsePasvReply', () => {
  it.each([
    ['Entering Passive Mode (127,0,0,1,117,48).', { host: '127.0.0.1', port: 30000 }],
    ['Entering Passive Mode 10,1,2,3,0,21', { host: '10.1.2.3', port: 21 }],
    ['=10,0,0,9,4,1', { host: '10.0.0.9', port: 1025 }],
    ['Passive (192, 168, 1, 2, 255, 255)', { host: '192.168.1.2', port: 65535 }],
  ])('%s', (message, expected) => expect(parsePasvReply(message)).toEqual(expected));
  it.each(['Entering Passive Mode', '(256,0,0,1,1,1)', '(1,2,3,4,0,0)', '(1,2,3,4,5)', ''])('rejects %j', (message) => {
    expect(() => parsePasvReply(message)).toThrow(FtpProtocolError);
  });
});

describe('parseEpsvReply', () => {
  it.each([
    ['Entering Extended Passive Mode (|||30001|)', 30001],
    ['Entering Extended Passive Mode (!!!21!)', 21],
    ['ok (###65535#)', 65535],
  ])('%s', (message, port) => expect(parseEpsvReply(message)).toBe(port));
  it.each(['(|||0|)', '(|||65536|)', '(||30000|)', '(|x|30000|)', 'no port', '(|||30000!)'])('rejects %j', (message) => {
    expect(() => parseEpsvReply(message)).toThrow(FtpProtocolError);
  });
});

describe('parseSizeReply', () => {
  it.each([['0', 0], ['1073741824', 1073741824], [' 42 ', 42]])('%j', (text, size) => expect(parseSizeReply(text)).toBe(size));
  it.each(['-1', '12a', '', '99999999999999999999', '1.5'])('rejects %j', (text) => expect(() => parseSizeReply(text)).toThrow(FtpProtocolError));
});

describe('parseFeatReply', () => {
  it('reads features and parameters', () => {
    const features = parseFeatReply(['211-Features:', ' EPRT', ' EPSV', ' MDTM', ' REST STREAM', ' size', ' UTF8', '211 End']);
    expect([...features.keys()]).toEqual(['EPRT', 'EPSV', 'MDTM', 'REST', 'SIZE', 'UTF8']);
    expect(features.get('REST')).toBe('STREAM');
  });
  it('is empty for a single-line reply', () => expect(parseFeatReply(['211 no features']).size).toBe(0));
});

describe('parseTransferSize', () => {
  it.each([
    ['Opening BINARY mode data connection for f (1234 bytes).', 1234],
    ['Opening data connection for x (0 Bytes)', 0],
    ['Ok to send data.', undefined],
    ['(12 byte)', undefined],
  ])('%s', (message, size) => expect(parseTransferSize(message)).toBe(size));
});

describe('PORT/EPRT arguments', () => {
  it('formats PORT', () => expect(formatPortArgument('10.0.1.1', 30000)).toBe('10,0,1,1,117,48'));
  it('formats PORT from a mapped address', () => expect(formatPortArgument('::ffff:127.0.0.1', 256)).toBe('127,0,0,1,1,0'));
  it('refuses PORT for IPv6', () => expect(() => formatPortArgument('fd00::1', 21)).toThrow());
  it('formats EPRT', () => {
    expect(formatEprtArgument('10.0.1.1', 5000)).toBe('|1|10.0.1.1|5000|');
    expect(formatEprtArgument('fd00::1', 5000)).toBe('|2|fd00::1|5000|');
  });
  it('PORT round-trips through the PASV parser', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), (address, port) => {
        expect(parsePasvReply(`(${formatPortArgument(address, port)})`)).toEqual({ host: address, port });
      }),
    );
  });
});

describe('maskCommand', () => {
  it.each([
    ['PASS secret', 'PASS ****'],
    ['pass secret', 'pass ****'],
    ['ACCT acc', 'ACCT ****'],
    ['USER bob', 'USER bob'],
    ['PASSIVE', 'PASSIVE'],
  ])('%s', (line, masked) => expect(maskCommand(line)).toBe(masked));
});

describe('FtpError', () => {
  it('keeps kind and reply', () => {
    const error = new FtpError('x', 'login', { code: 530, lines: ['530 no'], message: 'no' });
    expect(error.kind).toBe('login');
    expect(error.reply?.code).toBe(530);
  });
});
