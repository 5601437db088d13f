// A `watch --verbose` started by a test is ready once it has joined the kernel's MPTCP event group:
// it says so on stderr. Events sent before that would be missed.
import type { ResultPromise } from 'execa';

/** Resolves once `watch` says it is watching the events; rejects if it ends first. */
export function untilWatching(watch: ResultPromise): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let text = '';
    watch.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('watching MPTCP events')) resolve();
    });
    void watch.then((r) => reject(new Error(`watch ended early: ${String(r.stderr)}`)));
  });
}
