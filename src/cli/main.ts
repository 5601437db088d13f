#!/usr/bin/env node
// Entry point: the only place that exits. Known errors print one line; bugs print a stack only with
// --debug. Under --json every outcome is exactly one JSON object on stdout: the command's own
// report, or, when it failed before printing one, its schema with an `error` object.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { CommandModule, GlobalOptions } from './command.js';
import { checkCommandWord, rewriteHelp } from './command-words.js';
import { entriesFor } from './commands/index.js';
import { PLEASE_REPORT, UsageError, describeError, exitCodeFor } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { InterruptedError, endBySignal, installInterruptHandlers, interruptionWord, receivedSignal, type StopSignal } from './interrupt.js';
import { jsonErrorReport, jsonRequested, schemaFor } from './json-errors.js';
import { colorRefused, processOutput, type Output } from './output.js';
import { packageVersion } from './version.js';

const args = rewriteHelp(hideBin(process.argv));
const stdio = processOutput({ noColor: colorRefused(args) });
/** Set once anything went to stdout: a failure after that must not add a second object. */
let reported = false;
const output: Output = {
  ...stdio,
  out(text) {
    reported = true;
    stdio.out(text);
  },
};
let debug = args.includes('--debug');

function handleError(error: unknown): void {
  // Whatever a command threw once a signal arrived is the interruption showing through (an aborted
  // socket, a closed server): report the interruption.
  const signal = receivedSignal();
  if (signal && !(error instanceof InterruptedError) && exitCodeFor(error) !== undefined) {
    error = new InterruptedError(interruptionWord(signal), signal);
  }
  const report = describeError(error);
  if (exitCodeFor(error) !== undefined && !debug) {
    output.log(`mptcp-doctor: ${report.message}`);
  } else if (exitCodeFor(error) !== undefined) {
    output.log(`mptcp-doctor: ${(error as Error).stack ?? String(error)}`);
  } else {
    output.log(`mptcp-doctor: ${report.message}${debug ? `\n${(error as Error)?.stack ?? ''}` : ''}`);
    output.log(`mptcp-doctor: ${PLEASE_REPORT}`);
  }
  if (jsonRequested(args) && !reported) output.out(JSON.stringify(jsonErrorReport(schemaFor(args), report), null, 2));
  process.exitCode = report.exitCode;
}

/** After the command: a signal that arrived meanwhile ends the process by that signal. */
function finish(): void {
  const signal = receivedSignal();
  if (signal) endBySignal(signal);
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
  checkCommandWord(args);
  const commands = await Promise.all(entriesFor(args).map((entry) => entry.load()));
  let parser = yargs(args)
    .scriptName('mptcp-doctor')
    .usage('$0 [command]\n\nTells whether Multipath TCP works on this host and on a path, and why not when it does not.')
    .option('json', { type: 'boolean', default: false, describe: 'print exactly one JSON object on stdout' })
    .option('debug', { type: 'boolean', default: false, describe: 'show stack traces of errors' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'log more on stderr (get/put: the full report)' })
    // Read from the raw arguments before parsing (colour is decided before any output); declared
    // here so that --no-color is a known option and shows in --help.
    .option('color', { type: 'boolean', default: true, describe: 'colours on a terminal; --no-color (or NO_COLOR=1) turns them off' })
    .epilogue(
      'Exit codes: 0 ok; 1 a problem found (a failed check, MPTCP did not hold); 2 usage; 3 cannot run here; ' +
        '4 network or transfer failure; 70 internal error (a bug: please report it); 130 Ctrl-C; 143 SIGTERM.\n' +
        '`mptcp-doctor help COMMAND` (or COMMAND --help) shows the options of one command.',
    )
    .strict()
    .help()
    .alias('help', 'h')
    // Bundled in at build time: package.json is not beside the bundle in every install.
    .version(packageVersion())
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

// A signal no command claimed (check, connect, conns, fix before its changes): one line, and under
// --json one object, then the process ends by the signal at once.
installInterruptHandlers((signal: StopSignal) => {
  handleError(new InterruptedError(interruptionWord(signal), signal));
  endBySignal(signal);
});

// A bug that escapes every await (an 'error' event nobody listens to) is still one line, exit 70,
// and under --json still one object. The process is in an unknown state: leave at once.
const crash = (error: unknown) => {
  handleError(error);
  process.exit(process.exitCode ?? ExitCode.internal);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

main().catch(handleError).finally(finish);
