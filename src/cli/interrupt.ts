// Ctrl-C (SIGINT) and SIGTERM, handled the same way by every command (docs/architecture.md,
// "Conventions"). A command that can stop cleanly (close its sockets and keep a .part for resume,
// let a server's transfers finish, print a watch summary) claims the signal and receives it as an
// AbortSignal; any other command ends at once with one line on stderr. Either way the process ends
// once it is clean with exit code 130 (SIGINT) or 143 (SIGTERM), the codes a shell reports for those
// signals: scripts, supervisors and test harnesses all read the same number.

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** What a shell reports for a process ended by each signal (128 + the signal number). */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/** The command stopped because of a signal; the message says what was kept (a .part, ...). */
export class InterruptedError extends Error {
  constructor(
    message: string,
    readonly signal: StopSignal,
  ) {
    super(message);
    this.name = 'InterruptedError';
  }
}

/** The word for a bare interruption: Ctrl-C "interrupted", SIGTERM "terminated" (as shells say). */
export function interruptionWord(signal: StopSignal): string {
  return signal === 'SIGINT' ? 'interrupted' : 'terminated';
}

let received: StopSignal | undefined;
let claims = 0;
const controller = new AbortController();
let immediate: (signal: StopSignal) => void = (signal) => endBySignal(signal);

function onSignal(signal: StopSignal): void {
  // A second signal, or one nobody claimed: stop now.
  if (received !== undefined || claims === 0) {
    received ??= signal;
    immediate(signal);
    return;
  }
  received = signal;
  controller.abort(new InterruptedError(interruptionWord(signal), signal));
}

/**
 * Called once by the entry point. `onImmediate` reports an interruption that ends the process at
 * once (one line, the --json object) and then calls endBySignal.
 */
export function installInterruptHandlers(onImmediate: (signal: StopSignal) => void): void {
  immediate = onImmediate;
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
}

/**
 * A Ctrl-C read as a key (a prompt in raw mode reads it instead of the terminal turning it into
 * SIGINT): handled as the signal, at once. Sending ourselves SIGINT would not do: its handler runs
 * on a later turn of the event loop, and a loop with nothing left to wait for exits first (0).
 */
export function deliverInterrupt(signal: StopSignal): void {
  onSignal(signal);
}

export interface InterruptClaim {
  /** Aborted on the first SIGINT or SIGTERM; its reason is an InterruptedError. */
  signal: AbortSignal;
  release(): void;
}

/**
 * While claimed, the first signal aborts `signal` instead of ending the process: the command stops
 * cleanly and returns (or throws InterruptedError), and the entry point then ends by that signal.
 * A second signal still ends the process at once.
 */
export function claimInterrupts(): InterruptClaim {
  claims += 1;
  let released = false;
  return {
    signal: controller.signal,
    release() {
      if (released) return;
      released = true;
      claims -= 1;
    },
  };
}

/** The signal that arrived, if any: the process must end by it. */
export function receivedSignal(): StopSignal | undefined {
  return received;
}

/**
 * Ends the process by `signal` (our handlers removed first, so the default action applies). Exits
 * with 128 + N if the signal is somehow not fatal.
 */
export function endBySignal(signal: StopSignal): void {
  for (const stop of STOP_SIGNALS) process.removeAllListeners(stop);
  process.exit(SIGNAL_EXIT_CODES[signal]);
}
