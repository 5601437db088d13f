// The one failure of a probe that is not a verdict: the probe could not run at all.

/** Raised when the probe cannot run at all (no server, login refused, not an FTP server): exit 4, not a verdict. */
export class ProbeCannotRunError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProbeCannotRunError';
  }
}
