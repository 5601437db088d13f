// Bundles the compiled CLI (dist/src) into a few ESM files in dist/bin: Node then loads about ten
// files instead of a hundred-odd modules, which is most of a short command's start-up time.
// Commands stay separate chunks, still loaded only when asked for (src/cli/commands/index.ts).
import { chmodSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: without a clean start, old chunks pile up (and get packed).
rmSync(new URL('../dist/bin', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { main: 'dist/src/cli/main.js' },
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Bundled CommonJS dependencies (cli-progress, table's helpers) call require() for Node built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
chmodSync(new URL('../dist/bin/main.js', import.meta.url), 0o755);
