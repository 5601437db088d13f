// The data-channel wire formats in both directions, pure: PASV's 227 reply (RFC 959), EPSV's 229
// reply (RFC 2428 section 3), PORT's argument (RFC 959) and EPRT's (RFC 2428 section 2). The client
// formats PORT/EPRT and parses 227/229; the server does the reverse. Parsers return undefined on
// anything malformed; callers turn that into their own error or reply.
import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

export interface FamilyHostPort extends HostPort {
  /** EPRT's protocol number: 1 IPv4, 2 IPv6. */
  family: 4 | 6;
}

/** IPv4 literal, also from an IPv4-mapped IPv6 address ("::ffff:10.0.0.1"); else undefined. */
export function toIpv4(address: string): string | undefined {
  if (isIP(address) === 4) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped && isIP(mapped[1]!) === 4 ? mapped[1] : undefined;
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** "h1,h2,h3,h4,p1,p2": the six numbers of PORT and of a 227 reply (IPv4 only). */
function formatSixNumbers(address: string, port: number): string | undefined {
  const v4 = toIpv4(address);
  if (!v4 || !validPort(port)) return undefined;
  return `${v4.replaceAll('.', ',')},${Math.floor(port / 256)},${port % 256}`;
}

function parseSixNumbers(numbers: readonly string[]): HostPort | undefined {
  if (numbers.length !== 6 || !numbers.every((n) => /^\d{1,3}$/.test(n) && Number(n) <= 255)) return undefined;
  const values = numbers.map(Number);
  const port = values[4]! * 256 + values[5]!;
  return validPort(port) ? { host: values.slice(0, 4).join('.'), port } : undefined;
}

/** PORT's argument: "h1,h2,h3,h4,p1,p2". */
export function formatPortArgument(address: string, port: number): string | undefined {
  return formatSixNumbers(address, port);
}

export function parsePortArgument(argument: string): HostPort | undefined {
  return parseSixNumbers(argument.split(',').map((part) => part.trim()));
}

/** The text of a 227 reply: "Entering Passive Mode (h1,h2,h3,h4,p1,p2)". */
export function formatPasvReply(address: string, port: number): string | undefined {
  const numbers = formatSixNumbers(address, port);
  return numbers ? `Entering Passive Mode (${numbers})` : undefined;
}

/** 227 Entering Passive Mode (h1,h2,h3,h4,p1,p2): RFC 959 allows the numbers anywhere in the text. */
export function parsePasvReply(message: string): HostPort | undefined {
  const match = /(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3})/.exec(message);
  return match ? parseSixNumbers(match.slice(1)) : undefined;
}

/** EPRT's argument: |1|addr|port| or |2|addr|port|. */
export function formatEprtArgument(address: string, port: number): string | undefined {
  if (!validPort(port)) return undefined;
  const v4 = toIpv4(address);
  if (v4) return `|1|${v4}|${port}|`;
  return isIP(address) === 6 ? `|2|${address}|${port}|` : undefined;
}

/**
 * EPRT's argument: any delimiter (RFC 2428 allows a printable one, "|" by convention), a protocol
 * number that must match the address, and a port.
 */
export function parseEprtArgument(argument: string): FamilyHostPort | undefined {
  const delimiter = argument[0];
  if (!delimiter || !/^[!-~]$/.test(delimiter)) return undefined;
  const fields = argument.split(delimiter);
  // |proto|address|port| splits into ['', proto, address, port, ''].
  if (fields.length !== 5 || fields[0] !== '' || fields[4] !== '' || !/^\d{1,5}$/.test(fields[3]!)) return undefined;
  const [, proto, address, portText] = fields as [string, string, string, string, string];
  const port = Number(portText);
  if (!validPort(port)) return undefined;
  if (proto === '1' && isIP(address) === 4) return { family: 4, host: address, port };
  if (proto === '2' && isIP(address) === 6) return { family: 6, host: address, port };
  return undefined;
}

/** EPRT's protocol number, when it names one this side does not support (for a 522 reply). */
export function eprtProtocol(argument: string): string | undefined {
  const delimiter = argument[0];
  return delimiter ? argument.split(delimiter)[1] : undefined;
}

/** The text of a 229 reply: "Entering Extended Passive Mode (|||port|)". */
export function formatEpsvReply(port: number): string | undefined {
  return validPort(port) ? `Entering Extended Passive Mode (|||${port}|)` : undefined;
}

/** 229 Entering Extended Passive Mode (|||port|) (RFC 2428 section 3: any printable delimiter). */
export function parseEpsvReply(message: string): number | undefined {
  const match = /\(([!-~])\1\1(\d{1,5})\1\)/.exec(message);
  const port = match ? Number(match[2]) : NaN;
  return validPort(port) ? port : undefined;
}
