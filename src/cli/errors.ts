// Known errors, kept apart from bugs: each becomes one line on stderr and an exit code.
// Anything else is an internal error (70) and shows its stack only with --debug.
import { AddonUnavailableError } from '../native/binding.js';
import { AddressSyntaxError } from '../net/address.js';
import { NetworkError } from '../net/errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/** Bad arguments: exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The tool cannot run here (not root, read-only /proc/sys, ...): exit 3. */
export class CannotRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CannotRunError';
  }
}

/** A network or transfer failure found by a command module: exit 4. */
export class TransferError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransferError';
  }
}

/** Known error classes from other modules register here, so main.ts needs no knowledge of them. */
const known: Array<{ type: new (...args: never[]) => Error; exitCode: ExitCodeValue }> = [
  { type: UsageError, exitCode: ExitCode.usage },
  { type: AddressSyntaxError, exitCode: ExitCode.usage },
  { type: CannotRunError, exitCode: ExitCode.cannotRun },
  { type: AddonUnavailableError, exitCode: ExitCode.cannotRun },
  { type: NetworkError, exitCode: ExitCode.network },
  { type: TransferError, exitCode: ExitCode.network },
];

export function registerKnownError(type: new (...args: never[]) => Error, exitCode: ExitCodeValue): void {
  known.push({ type, exitCode });
}

export function exitCodeFor(error: unknown): ExitCodeValue | undefined {
  return known.find((entry) => error instanceof entry.type)?.exitCode;
}
