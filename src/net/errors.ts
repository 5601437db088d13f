// Network failures as one clear line each, with a stable code for exit-code mapping (4).
import { isSystemError } from '../native/binding.js';

export class NetworkError extends Error {
  constructor(
    message: string,
    /** 'ENOTFOUND', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', ... */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

const DESCRIPTIONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by peer',
  EADDRNOTAVAIL: 'address not available',
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EPIPE: 'connection closed by peer',
  ENOTFOUND: 'name not found',
  EAI_AGAIN: 'name lookup failed temporarily',
};

export function describeCode(code: string): string {
  return DESCRIPTIONS[code] ?? code;
}

/** Wraps a system error as `<what>: <description>`, e.g. "connect to 127.0.0.1:21: connection refused". */
export function toNetworkError(what: string, error: unknown): NetworkError {
  if (error instanceof NetworkError) return error;
  if (isSystemError(error)) return new NetworkError(`${what}: ${describeCode(error.code)}`, error.code, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new NetworkError(`${what}: ${message}`, 'EUNKNOWN', { cause: error });
}
