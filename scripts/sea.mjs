// `npm run sea`: the single executable for hosts without Node (Node's single executable
// applications: https://nodejs.org/api/single-executable-applications.html). A copy of the Node
// that runs this script, with one blob injected by postject: the CLI bundled into one CommonJS
// script (Node 20's executables run CommonJS only) and the addon as an asset, which
// src/native/binding.ts writes to a private temp file, loads and removes at start-up.
//
// The script is made from dist/bin (what `npm run build` bundles), not from the sources again, so
// whatever the build bakes in (the version, among others) is the same in both.
//
// Output: dist/mptcp-doctor-linux-<arch> (Node's symbol tables stripped first: 86 instead of 99 MB).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const work = join(root, 'dist', 'sea');
const output = join(root, 'dist', `mptcp-doctor-linux-${arch()}`);
/** Must match SEA_ADDON_ASSET in src/native/binding.ts. */
const ADDON_ASSET = 'mptcp_doctor.node';
/** The fuse Node's own binary carries (documented; postject flips it to say "a blob is here"). */
const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function fail(message) {
  console.error(`sea: ${message}`);
  process.exit(1);
}

function addonFile() {
  const dir = join(root, 'prebuilds', `linux-${arch()}`);
  const found = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.node')) : [];
  if (found.length === 0) fail(`no prebuilt addon in ${dir}: run npm run build:prebuilds first`);
  // The glibc build when there are several (a musl host needs its own executable anyway).
  return join(dir, found.find((f) => f.includes('glibc')) ?? found[0]);
}

if (!existsSync(join(root, 'dist', 'bin', 'main.js'))) fail('dist/bin/main.js is missing: run npm run build first');
const addon = addonFile();
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// 1. One CommonJS script. import.meta.url has no meaning in CommonJS: give it the executable's own
// file URL (binding.ts asks for it only outside the executable, to find the package root).
const script = join(work, 'main.cjs');
await build({
  entryPoints: [join(root, 'dist', 'bin', 'main.js')],
  outfile: script,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: false,
  logLevel: 'warning',
  define: { 'import.meta.url': '__seaImportMetaUrl' },
  banner: { js: "const __seaImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// 2. The blob: script (with V8's code cache: parsing is most of a short command's start) and addon.
const config = join(work, 'sea-config.json');
const blob = join(work, 'sea-prep.blob');
writeFileSync(config, JSON.stringify({
  main: script,
  output: blob,
  disableExperimentalSEAWarning: true,
  useCodeCache: true,
  assets: { [ADDON_ASSET]: addon },
}, null, 2));
const made = spawnSync(process.execPath, ['--experimental-sea-config', config], { encoding: 'utf8' });
if (made.status !== 0) fail(`node --experimental-sea-config failed (exit ${made.status ?? made.signal}): ${made.stderr.trim()}`);

// 3. A copy of this Node, stripped of debug symbols when `strip` is here, with the blob injected.
rmSync(output, { force: true });
copyFileSync(process.execPath, output);
chmodSync(output, 0o755);
// --strip-all keeps .dynsym, the symbols addons link against (napi_*); it drops the rest. strip
// complains about the many notes of Node's binary: shown only when it fails.
const stripped = spawnSync('strip', ['--strip-all', output], { encoding: 'utf8' });
if (stripped.error) console.warn('sea: strip not found, keeping Node\'s symbols');
else if (stripped.status !== 0) fail(`strip failed (exit ${stripped.status}): ${stripped.stderr.trim()}`);
// postject's ELF library warns about those notes too, line after line: its output is shown on failure only.
const postject = join(dirname(require.resolve('postject')), 'cli.js');
const injected = spawnSync(process.execPath, [postject, output, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SENTINEL_FUSE], { encoding: 'utf8' });
if (injected.status !== 0) fail(`postject failed (exit ${injected.status ?? injected.signal}):\n${injected.stdout}${injected.stderr}`);
console.log(`sea: ${output.slice(root.length + 1)} (${(statSync(output).size / 1048576).toFixed(1)} MiB)`);
