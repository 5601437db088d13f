// Host:port parsing and name resolution. We resolve names ourselves so that the MPTCP socket is
// created for the right family and connected to a literal address (docs/mptcp-facts.md, "Socket creation": Node's
// autoSelectFamily would replace our handle with a fresh TCP socket).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { NetworkError } from './errors.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export class AddressSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressSyntaxError';
  }
}

/** Well-known ports, to turn a URL someone typed into the HOST:PORT we need. */
const SCHEME_PORTS: Record<string, number> = { ftp: 21, ftpes: 21, ftps: 990, ssh: 22, smtp: 25, http: 80, https: 443 };

/** `ftp://host/` where HOST:PORT belongs: say so, with the HOST:PORT it probably meant. */
function urlHint(text: string): string | undefined {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^/:?#]*)(?::(\d+))?/i.exec(text);
  if (!match) return undefined;
  const port = match[3] ?? SCHEME_PORTS[match[1]!.toLowerCase()];
  const host = match[2] || 'HOST';
  return `"${text}" is a URL: give HOST:PORT${port !== undefined ? ` (here ${host}:${port})` : ''}`;
}

/** Parses HOST:PORT, [IPv6]:PORT or a bare HOST (with defaultPort). */
export function parseHostPort(text: string, defaultPort?: number): { host: string; port: number } {
  const hint = urlHint(text);
  if (hint) throw new AddressSyntaxError(hint);
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (isIP(text) === 6) {
    host = text; // a bare IPv6 literal has no port
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
      if (host.includes(':')) throw new AddressSyntaxError(`bad address "${text}": write IPv6 addresses as [ADDR]:PORT`);
    } else {
      host = text;
    }
  }
  if (!host) throw new AddressSyntaxError(`bad address "${text}": no host`);
  if (portText === undefined) {
    if (defaultPort === undefined) {
      const hint = isIP(host) === 6 ? 'expected [IPv6]:PORT (write IPv6 addresses as [ADDR]:PORT)' : 'expected HOST:PORT';
      throw new AddressSyntaxError(`bad address "${text}": ${hint}`);
    }
    return { host, port: defaultPort };
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new AddressSyntaxError(`bad port "${portText}" in "${text}": expected 1-65535`);
  return { host, port };
}

/** Literal addresses pass through; names are looked up, all families, in the resolver's order. */
export async function resolveHost(host: string, family?: 4 | 6): Promise<ResolvedAddress[]> {
  const literal = isIP(host);
  if (literal === 4 || literal === 6) {
    if (family && literal !== family) throw new NetworkError(`${host} is not an IPv${family} address`, 'EAFNOSUPPORT');
    return [{ address: host, family: literal }];
  }
  try {
    const found = await lookup(host, { all: true, verbatim: true, family: family ?? 0 });
    return found.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'ENOTFOUND';
    const normalized = code === 'EAI_AGAIN' ? 'EAI_AGAIN' : 'ENOTFOUND';
    throw new NetworkError(`cannot resolve ${host}: ${normalized === 'EAI_AGAIN' ? 'name lookup failed temporarily' : 'name not found'}`, normalized, { cause: error });
  }
}

export function formatHostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}
