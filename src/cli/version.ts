// The version --version prints. The bundle has it written in at build time (scripts/bundle.mjs
// defines MPTCP_DOCTOR_VERSION from package.json), so it is right from any directory, through
// a symlink (npm link, npm's bin links) and from an installed tarball. Unbundled runs (tsx, the
// tsc output) read the package.json above this file instead.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

declare const MPTCP_DOCTOR_VERSION: string | undefined;

function versionFromPackageJson(): string | undefined {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'mptcp-doctor' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // no package.json here, or not ours: keep climbing
    }
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

export function packageVersion(): string {
  if (typeof MPTCP_DOCTOR_VERSION === 'string') return MPTCP_DOCTOR_VERSION;
  return versionFromPackageJson() ?? 'unknown';
}
