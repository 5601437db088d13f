// Checks of option values that several commands share, so that they say the same thing in the same
// words: a range that names its bounds the way it is checked, and -4/-6 against an address literal.
import { isIP } from 'node:net';
import { UsageError } from './errors.js';

/**
 * Seconds above 0 (a zero timeout would fail at once) and at most `max`: "--timeout must be more
 * than 0 and at most 600 seconds (got 0)". `allowZero` for values where 0 means "none" (--grace).
 */
export function checkSeconds(name: string, value: number | undefined, max: number, options: { allowZero?: boolean } = {}): void {
  if (value === undefined) return;
  if (Array.isArray(value)) throw new UsageError(`give --${name} once`);
  const low = options.allowZero ? value >= 0 : value > 0;
  if (Number.isFinite(value) && low && value <= max) return;
  const range = options.allowZero ? `0 to ${max} seconds` : `more than 0 and at most ${max} seconds`;
  throw new UsageError(`--${name} must be ${range} (got ${Number.isNaN(value) ? 'not a number' : value})`);
}

/** A whole number from `min` to `max`. */
export function checkInteger(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (Array.isArray(value)) throw new UsageError(`give --${name} once`);
  if (Number.isInteger(value) && value >= min && value <= max) return;
  throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got ${Number.isNaN(value) ? 'not a number' : value})`);
}

/**
 * -4 with an IPv6 literal, -6 with an IPv4 literal: the user asked for the impossible, a usage error
 * (2) before any connect. Names are resolved later, for the family asked.
 */
export function checkFamily(host: string, options: { ipv4?: boolean; ipv6?: boolean }): void {
  if (options.ipv4 && options.ipv6) throw new UsageError('choose one of -4 and -6');
  const literal = isIP(host);
  if (options.ipv6 && literal === 4) throw new UsageError(`-6 asks for IPv6, but ${host} is an IPv4 address`);
  if (options.ipv4 && literal === 6) throw new UsageError(`-4 asks for IPv4, but ${host} is an IPv6 address`);
}
