// What startServer accepts, with defaults chosen to be safe when exposed.
import net from 'node:net';
import type { BufferSizeRequest } from '../native/socket-factory.js';
import type { ServerLogger } from './logger.js';
import { DEFAULT_MAX_DIGEST_SIZE, DEFAULT_MAX_PROBE_SIZE, GIB } from '../protocol/size.js';

export interface ServerOptions {
  /** Listen address; binding to all addresses ("0.0.0.0", "::") must be asked for. */
  host: string;
  /** 0 for any free port. */
  port: number;
  /** Passive data ports are taken from this range (inclusive); undefined = any free port. */
  pasvPorts?: { first: number; last: number };
  /** Address written into PASV replies (behind NAT); default: the control connection's local address. */
  pasvAddress?: string;
  /** Control connections at once, all clients together. */
  maxClients: number;
  /** Control connections at once from one remote address. */
  maxClientsPerAddress: number;
  /** A control connection with no command for this long is closed (421). */
  idleTimeoutMs: number;
  /** A started command line must end within this long (slowloris). */
  lineTimeoutMs: number;
  /** Login (USER + PASS) must complete within this long of connecting. */
  loginTimeoutMs: number;
  /**
   * A data connection on which no byte moves for this long is aborted: no byte acknowledged by the
   * client's kernel (downloads) or received (uploads). Time without progress, never the time a
   * transfer or its final delivery takes (docs/server.md).
   */
  dataTimeoutMs: number;
  /** How long a transfer command waits for the client to open the passive data connection. */
  dataConnectTimeoutMs: number;
  /** Bytes accepted per upload; beyond it the transfer is aborted with 552. */
  maxUpload: number;
  /** Largest /probe/<size>. */
  maxProbeSize: number;
  /**
   * Largest /probe/<size> whose .sha256 is computed on request: hashing costs about 0.6 s of one core
   * per GiB here, so a client must not be able to ask for minutes of it (docs/server.md).
   */
  maxDigestSize: number;
  /** Longest command line in bytes (RFC 959 has no limit; 1 KiB is far above any real command). */
  maxLineBytes: number;
  /** Garbage lines (binary, control characters) tolerated per session before disconnecting. */
  maxGarbageLines: number;
  /** Consecutive refused commands (500/501/502/530/550...) tolerated before disconnecting. */
  maxConsecutiveErrors: number;
  /** Command lines read ahead while one runs (pipelining); beyond it we stop reading. */
  maxPipelined: number;
  /** PEM certificate and key: enables AUTH TLS, PBSZ, PROT. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * Implicit FTPS (ftps://, conventionally port 990): TLS from the first byte of every control
   * connection, as vsftpd's implicit_ssl; AUTH TLS is then refused as already in use. Needs `tls`.
   */
  tlsImplicit?: boolean;
  /** Plain TCP listener on purpose (comparisons); MPTCP otherwise. */
  tcp: boolean;
  /** SO_SNDBUF/SO_RCVBUF for listeners (inherited by accepted sockets) and active connections. */
  bufferSizes?: BufferSizeRequest;
  /** Where events go; default: nowhere. */
  logger?: ServerLogger;
  /** Name in the greeting and SYST. */
  banner: string;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  port: 2121,
  maxClients: 64,
  maxClientsPerAddress: 16,
  idleTimeoutMs: 300_000,
  lineTimeoutMs: 30_000,
  loginTimeoutMs: 60_000,
  dataTimeoutMs: 60_000,
  dataConnectTimeoutMs: 30_000,
  maxUpload: 10 * GIB,
  maxProbeSize: DEFAULT_MAX_PROBE_SIZE,
  maxDigestSize: DEFAULT_MAX_DIGEST_SIZE,
  maxLineBytes: 1024,
  maxGarbageLines: 3,
  maxConsecutiveErrors: 10,
  maxPipelined: 32,
  tcp: false,
  banner: 'mptcp-doctor probe server',
};

export function resolveServerOptions(options: Partial<ServerOptions>): ServerOptions {
  const resolved = { ...DEFAULT_SERVER_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  const range = resolved.pasvPorts;
  if (range && !(range.first >= 1 && range.first <= range.last && range.last <= 65535)) {
    throw new RangeError(`passive port range ${range.first}-${range.last} is not within 1-65535`);
  }
  for (const key of ['maxClients', 'maxClientsPerAddress', 'maxLineBytes', 'maxPipelined'] as const) {
    if (!(Number.isInteger(resolved[key]) && resolved[key] > 0)) throw new RangeError(`${key} must be a positive integer`);
  }
  for (const key of ['dataTimeoutMs', 'dataConnectTimeoutMs', 'idleTimeoutMs'] as const) {
    if (!(Number.isFinite(resolved[key]) && resolved[key] > 0)) throw new RangeError(`${key} must be a positive number of milliseconds`);
  }
  if (!(Number.isSafeInteger(resolved.maxDigestSize) && resolved.maxDigestSize >= 0)) {
    throw new RangeError('maxDigestSize must be a whole number of bytes');
  }
  // Checked here, not at the first PASV: every PASV would otherwise fail for the server's lifetime.
  if (resolved.pasvAddress !== undefined && !net.isIPv4(resolved.pasvAddress)) {
    throw new RangeError(`pasvAddress "${resolved.pasvAddress}" is not an IPv4 address (PASV replies carry IPv4 only)`);
  }
  return resolved;
}
