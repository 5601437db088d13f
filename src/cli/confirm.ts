// A yes/no question on the terminal (stderr), answered within a time limit; no answer is "no".
import { createInterface } from 'node:readline/promises';
import { deliverInterrupt } from './interrupt.js';

export const CONFIRM_TIMEOUT_MS = 120_000;

export function canAsk(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

export async function confirm(question: string, timeoutMs = CONFIRM_TIMEOUT_MS): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // readline reads Ctrl-C itself (raw mode): hand it back as the SIGINT it is, after the terminal
  // is restored, so it ends the command like any Ctrl-C (src/cli/interrupt.ts).
  rl.on('SIGINT', () => {
    rl.close();
    process.stderr.write('\n');
    deliverInterrupt('SIGINT');
  });
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const answer = await rl.question(`${question} [y/N] `, { signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    process.stderr.write('\nno answer: nothing changed\n');
    return false;
  } finally {
    rl.close();
  }
}
