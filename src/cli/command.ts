// One module per command (angular-cli style): command, describe, builder, run.
import type { Argv } from 'yargs';
import type { ExitCodeValue } from './exit-codes.js';
import type { Output } from './output.js';

export interface GlobalOptions {
  json: boolean;
  debug: boolean;
  verbose: boolean;
}

export interface CommandModule<Options extends object = object> {
  command: string | readonly string[];
  describe: string;
  builder(yargs: Argv<GlobalOptions>): Argv<GlobalOptions & Options>;
  /** Returns the exit code; throws known errors (src/cli/errors.ts) for one-line failures. */
  run(options: GlobalOptions & Options, output: Output): Promise<ExitCodeValue>;
}

/** Keeps each module's option type while listing them together. */
export function defineCommand<Options extends object>(module: CommandModule<Options>): CommandModule<Options> {
  return module;
}
