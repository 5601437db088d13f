// Known errors, kept apart from bugs: each becomes one line on stderr, an exit code and, under
// --json, a stable machine code. Anything else is an internal error (70) and shows its stack only
// with --debug.
import { FtpCredentialsError, FtpError, FtpUrlError, UnsafePartialFileError } from '../ftp/errors.js';
import { AddonUnavailableError } from '../native/binding.js';
import { AddressSyntaxError } from '../net/address.js';
import { NetworkError } from '../net/errors.js';
import { ProbeCannotRunError } from '../probe/errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { InterruptedError, SIGNAL_EXIT_CODES } from './interrupt.js';

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

/** A machine code for an error, or undefined to fall back to its cause's or its exit code's. */
type CodeOf = (error: Error) => string | undefined;

interface KnownError {
  type: new (...args: never[]) => Error;
  exitCode: ExitCodeValue;
  /** When the instance decides (an interruption: 130 or 143 by its signal). */
  exitCodeOf?: (error: Error) => ExitCodeValue;
  code?: CodeOf;
}

/**
 * Every known error class, in one table: the modules that throw them know nothing of exit codes,
 * and nothing is registered as a side effect of importing a command.
 */
const known: KnownError[] = [
  { type: UsageError, exitCode: ExitCode.usage },
  { type: AddressSyntaxError, exitCode: ExitCode.usage },
  { type: CannotRunError, exitCode: ExitCode.cannotRun },
  { type: AddonUnavailableError, exitCode: ExitCode.cannotRun, code: () => 'addon-unavailable' },
  // 'ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', ...
  { type: NetworkError, exitCode: ExitCode.network, code: (error) => (error as NetworkError).code },
  // --json's error code is the failure's kind: 'timeout', 'tls', 'login', 'not-found', 'closed', ...
  { type: FtpError, exitCode: ExitCode.network, code: (error) => (error as FtpError).kind },
  { type: FtpUrlError, exitCode: ExitCode.usage },
  { type: FtpCredentialsError, exitCode: ExitCode.usage },
  { type: UnsafePartialFileError, exitCode: ExitCode.usage, code: () => 'unsafe-partial-file' },
  { type: ProbeCannotRunError, exitCode: ExitCode.network },
  {
    type: InterruptedError,
    exitCode: ExitCode.interrupted,
    exitCodeOf: (error) => SIGNAL_EXIT_CODES[(error as InterruptedError).signal],
    code: () => 'interrupted',
  },
];

function entryFor(error: unknown): KnownError | undefined {
  // The most specific registration wins (a subclass registered after its base class).
  let found: KnownError | undefined;
  for (const entry of known) {
    if (error instanceof entry.type && (!found || entry.type.prototype instanceof found.type)) found = entry;
  }
  return found;
}

export function exitCodeFor(error: unknown): ExitCodeValue | undefined {
  const entry = entryFor(error);
  return entry?.exitCodeOf?.(error as Error) ?? entry?.exitCode;
}

/** The machine code when the exit code is all we know. Stable: scripts match on these. */
const CODE_BY_EXIT: Record<ExitCodeValue, string> = {
  [ExitCode.ok]: 'ok',
  [ExitCode.problem]: 'problem',
  [ExitCode.usage]: 'usage',
  [ExitCode.cannotRun]: 'cannot-run',
  [ExitCode.network]: 'network',
  [ExitCode.internal]: 'internal',
  [ExitCode.interrupted]: 'interrupted',
  [ExitCode.terminated]: 'interrupted',
};

const SYSTEM_CODE = /^E[A-Z0-9_]+$/;

/** A code carried by the error itself or by one of its causes (an errno name, a registered code). */
function carriedCode(error: unknown, depth = 0): string | undefined {
  if (!(error instanceof Error) || depth > 4) return undefined;
  const entry = entryFor(error);
  const own = entry?.code?.(error);
  if (own) return own;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && SYSTEM_CODE.test(code)) return code;
  return carriedCode(error.cause, depth + 1);
}

/**
 * Printed under an internal error: it is a bug, and a report with the stack is what fixes it.
 * (Known errors never print it: they are the user's input, the host or the network.)
 */
export const PLEASE_REPORT = 'this is a bug in mptcp-doctor: please report it, with the output of the same command run with --debug';

/** What --json says about a failure: `{ code, message, exitCode }`. */
export interface ErrorReport {
  /** Stable machine name: an errno name ('ECONNREFUSED'), 'usage', 'timeout', 'internal', ... */
  code: string;
  /** The same one line as on stderr, without the program name. */
  message: string;
  exitCode: ExitCodeValue;
}

export function describeError(error: unknown): ErrorReport {
  const exitCode = exitCodeFor(error);
  const message = error instanceof Error ? error.message : String(error);
  if (exitCode === undefined) return { code: 'internal', message: `internal error: ${message}`, exitCode: ExitCode.internal };
  return { code: carriedCode(error) ?? CODE_BY_EXIT[exitCode], message, exitCode };
}
