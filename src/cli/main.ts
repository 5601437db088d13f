#!/usr/bin/env node
// Entry point: the only place that exits. Known errors print one line; bugs print a stack only with --debug.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { CommandModule, GlobalOptions } from './command.js';
import { entriesFor } from './commands/index.js';
import { UsageError, exitCodeFor } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { processOutput } from './output.js';

const output = processOutput();
let debug = process.argv.includes('--debug');

function handleError(error: unknown): void {
  const code = exitCodeFor(error);
  if (code !== undefined && !debug) {
    output.log(`mptcp-doctor: ${(error as Error).message}`);
  } else if (code !== undefined) {
    output.log(`mptcp-doctor: ${(error as Error).stack ?? String(error)}`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    output.log(`mptcp-doctor: internal error: ${message}${debug ? `\n${(error as Error)?.stack ?? ''}` : ' (run with --debug for details)'}`);
  }
  process.exitCode = code ?? ExitCode.internal;
}

function wire(parser: Argv<GlobalOptions>, module: CommandModule): Argv<GlobalOptions> {
  return parser.command(
    module.command as string | string[],
    module.describe,
    (y) => module.builder(y as Argv<GlobalOptions>),
    async (argv) => {
      debug = Boolean((argv as unknown as GlobalOptions).debug);
      process.exitCode = await module.run(argv as unknown as GlobalOptions, output);
    },
  );
}

/**
 * yargs renders the whole help text of a named command while its handler runs, in case a later
 * failure wants to print it (about 35 ms of a 250 ms `check`). Our failures print one line, never
 * the help, so the cache is never read: skip it. Internal API, hence every step is optional.
 */
function skipHelpCache(parser: Argv<GlobalOptions>): void {
  const internal = (parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } })
    .getInternalMethods?.()
    .getUsageInstance?.();
  if (internal && typeof internal.cacheHelpMessage === 'function') internal.cacheHelpMessage = () => undefined;
}

async function main(): Promise<void> {
  const args = hideBin(process.argv);
  const commands = await Promise.all(entriesFor(args).map((entry) => entry.load()));
  let parser = yargs(args)
    .scriptName('mptcp-doctor')
    .usage('$0 [command]\n\nTells whether Multipath TCP works on this host and on a path, and why not when it does not.')
    .option('json', { type: 'boolean', default: false, describe: 'print exactly one JSON object on stdout' })
    .option('debug', { type: 'boolean', default: false, describe: 'show stack traces of errors' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'log more on stderr' })
    .strict()
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version()
    // bash and zsh (the script follows $SHELL); each <TAB> asks the CLI itself, so completions
    // always match the installed commands and options.
    .completion('completion', 'print a shell completion script: bash, or zsh when $SHELL is zsh')
    .wrap(Math.min(100, process.stdout.columns || 80))
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    }) as unknown as Argv<GlobalOptions>;
  for (const module of commands) parser = wire(parser, module);
  skipHelpCache(parser);
  if (!commands.some((m) => [m.command].flat().some((c) => c.startsWith('$0')))) {
    parser = parser.demandCommand(1, 'name a command (see --help)');
  }
  await parser.parseAsync();
}

main().catch(handleError);
