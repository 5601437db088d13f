// Bundles the compiled CLI (dist/src) into a few ESM files in dist/bin: Node then loads about ten
// files instead of a hundred-odd modules, which is most of a short command's start-up time.
// Commands stay separate chunks, still loaded only when asked for (src/cli/commands/index.ts).
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// --version comes from here, written into the bundle: an installed copy has no package.json where
// yargs would look (the current directory), and npm link runs the bundle through a symlink.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// Chunk names carry content hashes: without a clean start, every build leaves the previous
// build's chunks behind (and npm pack ships them).
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
  define: { MPTCP_DOCTOR_VERSION: JSON.stringify(version) },
  // vega-canvas's Node build tries `await import('canvas')` at top level (a native module we never
  // install): the charts are SVG and need no canvas, and a top-level await cannot become the
  // CommonJS script of the single executable (scripts/sea.mjs). Its browser build is the same minus that.
  alias: { 'vega-canvas': './node_modules/vega-canvas/build/vega-canvas.browser.js' },
  // Bundled CommonJS dependencies (cli-progress, table's helpers) call require() for Node built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
chmodSync(new URL('../dist/bin/main.js', import.meta.url), 0o755);
