// docs/architecture.md, "Conventions". Set process.exitCode; only the entry point exits.
export const ExitCode = {
  ok: 0,
  /** The tool ran and found a problem: failed check, MPTCP did not hold. */
  problem: 1,
  usage: 2,
  /** Could not run: not root for `fix`, addon missing, not Linux. */
  cannotRun: 3,
  /** Network or transfer failure. */
  network: 4,
  internal: 70,
  /** Ctrl-C (SIGINT): the process ends by the signal, which a shell reports as 130. */
  interrupted: 130,
  /** SIGTERM: likewise, 143. */
  terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
