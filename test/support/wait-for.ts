// Waiting for the thing a test needs (a job running, bytes arriving, a log line) instead of sleeping
// for a guessed time: a fixed sleep is too short on a busy machine and too long on an idle one.

/**
 * Polls `condition` every `intervalMs` until it returns a truthy value, which it resolves with.
 * Throws naming `what` once `timeoutMs` has passed without it.
 */
export async function waitFor<T>(
  what: string,
  condition: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { timeoutMs = 10_000, intervalMs = 10 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
