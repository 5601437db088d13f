// Where things are, found from this file rather than hard-coded, so the lab works from any checkout
// (and from dist/ if it is ever compiled there).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'mptcp-doctor') return dir;
      } catch {
        // an unreadable package.json is not ours: keep climbing
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`lab: no mptcp-doctor package.json above ${start}`);
    dir = parent;
  }
}

/** The repository root (directory of mptcp-doctor's package.json). */
export const packageRoot = findPackageRoot(here);
/** test/lab in the source tree. */
export const labDir = path.join(packageRoot, 'test', 'lab');
/** Our CLI as installed: package.json's bin (the bundle `npm run build` makes). */
export const cliEntry = path.join(
  packageRoot,
  (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['mptcp-doctor']!,
);
/** tsx's loader, for running .ts scripts inside namespaces. */
export const tsxLoader = 'tsx';
