// Tests that run our code in another network namespace run the compiled JavaScript in dist/
// (`npm ci` and `npm run build` make it). Fail clearly when it is missing.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = join(packageRoot, 'dist', 'src', 'cli', 'main.js');

export function requireDist(): string {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build first`);
  return cliPath;
}
