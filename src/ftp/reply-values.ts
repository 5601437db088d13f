// Pure parsers for the values inside replies (227, 229, 213, 211 FEAT, 150) and formatters for
// the arguments of PORT/EPRT. Each returns undefined (or throws FtpProtocolError) on bad input.
import { isIP } from 'node:net';
import { FtpProtocolError } from './errors.js';
import { sanitize } from './reply-parser.js';

export interface HostPort {
  host: string;
  port: number;
}

/** 227 Entering Passive Mode (h1,h2,h3,h4,p1,p2): RFC 959 allows the numbers anywhere in the text. */
export function parsePasvReply(message: string): HostPort {
  const match = /(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3})/.exec(message);
  const numbers = match?.slice(1).map(Number);
  if (!numbers || numbers.some((n) => n > 255)) {
    throw new FtpProtocolError(`malformed PASV reply: "${sanitize(message, 80)}"`);
  }
  const port = numbers[4]! * 256 + numbers[5]!;
  if (port === 0) throw new FtpProtocolError('malformed PASV reply: port 0');
  return { host: numbers.slice(0, 4).join('.'), port };
}

/** 229 Entering Extended Passive Mode (|||port|) (RFC 2428 section 3: any printable delimiter). */
export function parseEpsvReply(message: string): number {
  const match = /\(([!-~])\1\1(\d{1,5})\1\)/.exec(message);
  const port = match ? Number(match[2]) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new FtpProtocolError(`malformed EPSV reply: "${sanitize(message, 80)}"`);
  return port;
}

/** 213 SIZE reply (RFC 3659 section 4): a decimal byte count. */
export function parseSizeReply(message: string): number {
  const text = message.trim();
  const size = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(size)) throw new FtpProtocolError(`malformed SIZE reply: "${sanitize(text, 40)}"`);
  return size;
}

/**
 * 211 FEAT reply (RFC 2389 section 3.2): one feature per line between the first and the last,
 * each starting with a space. Names upper-cased; parameters kept ("REST STREAM" -> REST: "STREAM").
 */
export function parseFeatReply(lines: readonly string[]): Map<string, string> {
  const features = new Map<string, string>();
  for (const line of lines.slice(1, -1)) {
    const match = /^\s*([A-Za-z0-9]+)(?:\s+(.*))?$/.exec(line);
    if (match) features.set(match[1]!.toUpperCase(), (match[2] ?? '').trim());
  }
  return features;
}

/** "150 Opening BINARY mode data connection for f (1234 bytes)." -> 1234 (vsftpd, ProFTPD, wu-ftpd). */
export function parseTransferSize(message: string): number | undefined {
  const match = /\((\d{1,16}) bytes\)/i.exec(message);
  if (!match) return undefined;
  const size = Number(match[1]);
  return Number.isSafeInteger(size) ? size : undefined;
}

/** PORT h1,h2,h3,h4,p1,p2 argument (IPv4 only). */
export function formatPortArgument(address: string, port: number): string {
  const v4 = toIpv4(address);
  if (!v4) throw new Error(`PORT needs an IPv4 address, got ${address}`);
  return `${v4.replaceAll('.', ',')},${Math.floor(port / 256)},${port % 256}`;
}

/** EPRT |1|addr|port| or |2|addr|port| (RFC 2428 section 2). */
export function formatEprtArgument(address: string, port: number): string {
  const v4 = toIpv4(address);
  if (v4) return `|1|${v4}|${port}|`;
  return `|2|${address}|${port}|`;
}

/** IPv4 literal, also from an IPv4-mapped IPv6 address ("::ffff:10.0.0.1"); else undefined. */
export function toIpv4(address: string): string | undefined {
  if (isIP(address) === 4) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped && isIP(mapped[1]!) === 4 ? mapped[1] : undefined;
}

/** Masks the argument of PASS (and ACCT) so a password never reaches logs, JSON or errors. */
export function maskCommand(line: string): string {
  return /^(PASS|ACCT)\s/i.test(line) ? `${line.slice(0, 4)} ****` : line;
}
