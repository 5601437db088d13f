// The first word of the command line, before yargs sees it: `help CMD` as `CMD --help` (as git and
// npm read it), and a word that names no command gets a one-line error with the nearest command
// (`prboe` -> `probe`). The commands load lazily (commands/index.ts), so this works from the
// registry's names alone; and since `check` is the default command, yargs itself would only say
// "Unknown argument".
import { commandEntries, requestedCommand } from './commands/index.js';
import { UsageError } from './errors.js';

/** Words yargs itself answers: the shell completion script. */
const BUILT_IN = ['completion'];

/** Every command word the user can type. */
export function commandNames(): string[] {
  return [...commandEntries.flatMap((entry) => entry.names.filter((name) => name !== '$0')), ...BUILT_IN];
}

/** `help` -> `--help`; `help CMD ...` -> `CMD ... --help`. Anything else unchanged. */
export function rewriteHelp(args: readonly string[]): string[] {
  const word = requestedCommand(args);
  if (word !== 'help') return [...args];
  const index = args.indexOf('help');
  return [...args.slice(0, index), ...args.slice(index + 1), '--help'];
}

/** Optimal string alignment distance: edits, counting a swap of two neighbours as one (prboe/probe). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The command `word` was probably meant to be, when one is close enough to guess. */
export function nearestCommand(word: string, names: readonly string[] = commandNames()): string | undefined {
  const lower = word.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(lower, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  // Two edits at most, and fewer than half the word: `xyz` suggests nothing.
  return best && best.distance <= 2 && best.distance < Math.max(2, Math.ceil(best.name.length / 2)) ? best.name : undefined;
}

/** Throws a usage error when the first word names no command. */
export function checkCommandWord(args: readonly string[]): void {
  // A <TAB> asking for completions passes the line typed so far, typos and all.
  if (args.includes('--get-yargs-completions')) return;
  const word = requestedCommand(args);
  if (word === undefined || commandNames().includes(word)) return;
  const guess = nearestCommand(word);
  throw new UsageError(
    `unknown command "${word}"${guess ? `; did you mean "${guess}"?` : ''} (mptcp-doctor --help lists the commands)`,
  );
}
