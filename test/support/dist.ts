// Tests that run our CLI run it as installed (package.json bin, in dist/)
// (`npm ci` and `npm run build` make it). Fail clearly when it is missing.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Our CLI as installed: package.json's bin (the bundle that `npm run build` makes). */
export const cliPath = join(
  packageRoot,
  (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['mptcp-doctor']!,
);

export function requireDist(): string {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build first`);
  return cliPath;
}
