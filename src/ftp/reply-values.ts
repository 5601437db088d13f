// The client's side of the values inside replies (227, 229, 213, 211 FEAT, 150) and of the PORT/EPRT
// arguments. The wire formats are src/protocol/data-channel.ts; here a malformed value becomes an
// FtpProtocolError that names it.
import * as wire from '../protocol/data-channel.js';
import { FtpProtocolError } from './errors.js';
import { printable } from '../text/printable.js';

export { toIpv4, type HostPort } from '../protocol/data-channel.js';

/** 227 Entering Passive Mode (h1,h2,h3,h4,p1,p2). */
export function parsePasvReply(message: string): wire.HostPort {
  const value = wire.parsePasvReply(message);
  if (!value) throw new FtpProtocolError(`malformed PASV reply: "${printable(message, 80)}"`);
  return value;
}

/** 229 Entering Extended Passive Mode (|||port|). */
export function parseEpsvReply(message: string): number {
  const port = wire.parseEpsvReply(message);
  if (port === undefined) throw new FtpProtocolError(`malformed EPSV reply: "${printable(message, 80)}"`);
  return port;
}

/** 213 SIZE reply (RFC 3659 section 4): a decimal byte count. */
export function parseSizeReply(message: string): number {
  const text = message.trim();
  const size = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(size)) throw new FtpProtocolError(`malformed SIZE reply: "${printable(text, 40)}"`);
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
  const argument = wire.formatPortArgument(address, port);
  if (!argument) throw new Error(`PORT needs an IPv4 address and a port, got ${address} ${port}`);
  return argument;
}

/** EPRT |1|addr|port| or |2|addr|port|. */
export function formatEprtArgument(address: string, port: number): string {
  const argument = wire.formatEprtArgument(address, port);
  if (!argument) throw new Error(`EPRT needs an IP address and a port, got ${address} ${port}`);
  return argument;
}

/** Masks the argument of PASS (and ACCT) so a password never reaches logs, JSON or errors. */
export function maskCommand(line: string): string {
  return /^(PASS|ACCT)\s/i.test(line) ? `${line.slice(0, 4)} ****` : line;
}
