// The one JSON object a failed command prints under --json: its own schema with an `error` object,
// so scripts and monitoring parse every outcome the same way. Worked out from the raw arguments,
// because a usage error can stop yargs before it has parsed anything.
import { commandEntries, requestedCommand } from './commands/index.js';
import type { ErrorReport } from './errors.js';

/** Whether --json is on the command line (the last of --json, --json=BOOL, --no-json wins). */
export function jsonRequested(args: readonly string[]): boolean {
  let json = false;
  const command = requestedCommand(args);
  for (const [index, arg] of args.entries()) {
    if (arg === '--') break;
    if (arg === '--json') json = true;
    else if (arg === '--no-json') json = false;
    else if (arg.startsWith('--json=')) json = !['false', '0', 'no'].includes(arg.slice('--json='.length).toLowerCase());
    // check's --format json is its --json.
    else if ((command === undefined || command === 'check') && arg === '--format') json = args[index + 1] === 'json';
    else if ((command === undefined || command === 'check') && arg.startsWith('--format=')) json = arg === '--format=json';
  }
  return json;
}

/**
 * The schema of the command these arguments run: the named command's, the default command's
 * (check) when none is named, and `mptcp-doctor/error/v1` for a word that names no command.
 */
export function schemaFor(args: readonly string[]): string {
  const word = requestedCommand(args);
  const entry = word === undefined
    ? commandEntries.find((e) => e.names.includes('$0'))
    : commandEntries.find((e) => e.names.includes(word) && word !== '$0');
  const name = entry?.names.find((n) => n !== '$0');
  return `mptcp-doctor/${name ?? 'error'}/v1`;
}

export interface JsonErrorReport {
  schema: string;
  error: ErrorReport;
}

export function jsonErrorReport(schema: string, error: ErrorReport): JsonErrorReport {
  return { schema, error };
}
