// The command users run: package.json's `bin` entry (a bundle once the build makes one), not
// necessarily the lab's dist/src/cli/main.js, so start-up figures measure what ships.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cliEntry, packageRoot } from '../../test/lab/index.js';

function binEntry(): string {
  try {
    const manifest = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> };
    const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.['mptcp-doctor'];
    if (bin) {
      const file = path.resolve(packageRoot, bin);
      if (existsSync(file)) return file;
    }
  } catch {
    // an unreadable manifest: fall back to the lab's entry
  }
  return cliEntry;
}

/** Absolute path of the CLI entry the benchmarks run (recorded in results.json). */
export const benchCliEntry = binEntry();

/** argv for node running our CLI with these arguments. */
export function cliArgv(args: readonly string[]): string[] {
  return [process.execPath, benchCliEntry, ...args];
}
