// The command registry. Each entry names its command and loads its module only when needed:
// a diagnostic tool must start fast, and `check` should not pay for the FTP client or the server.
import type { CommandModule } from '../command.js';

export interface CommandEntry {
  /** The words that select it; '$0' marks the default command (no command given). */
  names: readonly string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  load(): Promise<CommandModule<any>>;
}

export const commandEntries: readonly CommandEntry[] = [
  { names: ['check', '$0'], load: async () => (await import('./check.js')).checkCommand },
  { names: ['fix'], load: async () => (await import('./fix.js')).fixCommand },
  { names: ['connect'], load: async () => (await import('./connect.js')).connectCommand },
  { names: ['get'], load: async () => (await import('./get.js')).getCommand },
  { names: ['put'], load: async () => (await import('./put.js')).putCommand },
  { names: ['probe'], load: async () => (await import('./probe.js')).probeCommand },
  { names: ['serve'], load: async () => (await import('./serve.js')).serveCommand },
  { names: ['conns'], load: async () => (await import('./conns.js')).connsCommand },
  { names: ['watch'], load: async () => (await import('./watch.js')).watchCommand },
  { names: ['report'], load: async () => (await import('./report.js')).reportCommand },
];

/**
 * Options of the default command (check) that take a value: `mptcp-doctor --only kernel.mptcp`
 * names no command, and its value is not one.
 */
const DEFAULT_COMMAND_VALUE_OPTIONS = new Set(['--only', '--format', '--output', '-o']);

/** The first word that is not an option or an option's value: the command the user asked for, if any. */
export function requestedCommand(args: readonly string[]): string | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--') return undefined;
    if (DEFAULT_COMMAND_VALUE_OPTIONS.has(arg)) index++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * The modules to load for these arguments: the named command's alone, or the default command's when
 * none is named; all of them for help at the top level or an unknown command (yargs lists them).
 */
export function entriesFor(args: readonly string[]): readonly CommandEntry[] {
  // Shell completion (`completion`, and each <TAB> asking --get-yargs-completions) needs them all.
  if (args.includes('--get-yargs-completions') || args[0] === 'completion') return commandEntries;
  const word = requestedCommand(args);
  const wantsHelp = args.includes('--help') || args.includes('-h');
  if (word === undefined) return wantsHelp ? commandEntries : commandEntries.filter((e) => e.names.includes('$0'));
  const entry = commandEntries.find((e) => e.names.includes(word));
  return entry ? [entry] : commandEntries;
}
