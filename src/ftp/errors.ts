// FTP failures as one clear line each. FtpError (and subclasses) map to exit 4 (network or transfer
// failure); FtpUrlError, FtpCredentialsError and UnsafePartialFileError are the user's input or
// the user's files and map to exit 2. The CLI's table of known errors (src/cli/errors.ts) says so;
// nothing here knows about exit codes.
import type { FtpReply } from './reply-parser.js';

/** Why an FTP operation failed, stable for JSON and for probe's verdict rules. */
export type FtpErrorKind =
  | 'protocol' // malformed, overlong or unexpected reply
  | 'timeout' // a bounded wait ran out
  | 'closed' // the server closed a connection early
  | 'reply' // the server answered with an error reply (4xx/5xx)
  | 'login' // 530 and friends
  | 'not-found' // 550 on RETR/SIZE
  | 'permission' // 550/553 on STOR, local EACCES
  | 'size-mismatch' // received bytes differ from SIZE
  | 'tls' // handshake or certificate failure
  | 'aborted' // Ctrl-C or an AbortSignal
  | 'local'; // local file problem

export class FtpError extends Error {
  constructor(
    message: string,
    readonly kind: FtpErrorKind,
    /** The server's reply, when one caused the error. */
    readonly reply?: FtpReply,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FtpError';
  }
}

/** A reply the parser cannot accept: bad framing, bad code, overlong line. */
export class FtpProtocolError extends FtpError {
  constructor(message: string) {
    super(message, 'protocol');
    this.name = 'FtpProtocolError';
  }
}

/** A bad ftp:// URL or scheme (exit 2). */
export class FtpUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FtpUrlError';
  }
}

/** Credentials that cannot be used as given: unsafe ~/.netrc, --user without a password (exit 2). */
export class FtpCredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FtpCredentialsError';
  }
}

/** A user is named and no password is known for it (the CLI may prompt for one on a terminal). */
export class MissingPasswordError extends FtpCredentialsError {
  constructor(
    readonly user: string,
    message: string,
  ) {
    super(message);
    this.name = 'MissingPasswordError';
  }
}

/** A .netrc that cannot be read as one: the message names the file and the line. */
export class NetrcSyntaxError extends FtpCredentialsError {
  constructor(message: string) {
    super(message);
    this.name = 'NetrcSyntaxError';
  }
}

/** A .part file that must not be written: a symlink, not a regular file, or someone else's (exit 2). */
export class UnsafePartialFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePartialFileError';
  }
}
