// Builds the prebuilt N-API addons that the npm package carries (prebuilds/<platform>-<arch>/), so
// `npm install` of the tarball needs no compiler: node-gyp-build loads the one matching the host and
// compiles from source only when none does. Node-API is stable across Node versions: one build per
// architecture serves every Node the package supports.
//
// linux-x64 (or whatever this machine is) always; linux-arm64 too when Debian's cross compiler
// (g++-aarch64-linux-gnu) is installed. Each build runs in a scratch copy of the sources, so the
// developer's build/Release (what the tests load) is never replaced by a foreign-architecture file.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prebuildify = join(root, 'node_modules', 'prebuildify', 'bin.js');

function commandExists(name) {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' }).status === 0;
}

/** Headers of the Node that runs this script when they are installed beside it (Debian, nodejs.org tarballs); else node-gyp's own. */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

const targets = [{ arch: arch(), env: {} }];
if (arch() === 'x64') {
  if (commandExists('aarch64-linux-gnu-g++')) {
    targets.push({
      arch: 'arm64',
      env: { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-g++', PREBUILD_STRIP_BIN: 'aarch64-linux-gnu-strip' },
    });
  } else {
    console.warn('prebuild: skipping linux-arm64: no aarch64-linux-gnu-g++ (apt-get install g++-aarch64-linux-gnu)');
  }
}

/** One architecture's prebuild, in its own scratch copy of the sources; resolves with that copy. */
function build(target) {
  const work = mkdtempSync(join(tmpdir(), 'mptcp-doctor-prebuild-'));
  for (const entry of ['binding.gyp', 'native', 'package.json']) cpSync(join(root, entry), join(work, entry), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
  const dir = nodeDir();
  const child = spawn(
    process.execPath,
    [prebuildify, '--napi', '--strip', '--tag-libc', '--arch', target.arch, '--target', `node@${process.versions.node}`, '--cache', join(work, '.cache')],
    { cwd: work, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...(dir ? { npm_config_nodedir: dir } : {}), ...target.env } },
  );
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve(work) : reject(new Error(`prebuild: linux-${target.arch} failed (exit ${code ?? signal})`))));
  }).catch((error) => {
    rmSync(work, { recursive: true, force: true });
    throw error;
  });
}

// The architectures compile side by side (each is one compiler process at a time).
const results = await Promise.allSettled(targets.map(build));
rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
mkdirSync(join(root, 'prebuilds'), { recursive: true });
for (const result of results) {
  if (result.status === 'fulfilled') {
    cpSync(join(result.value, 'prebuilds'), join(root, 'prebuilds'), { recursive: true });
    rmSync(result.value, { recursive: true, force: true });
  }
}
const failed = results.find((r) => r.status === 'rejected');
if (failed) {
  console.error(failed.reason.message);
  process.exit(1);
}
for (const dir of readdirSync(join(root, 'prebuilds'))) {
  console.log(`prebuild: prebuilds/${dir}/${readdirSync(join(root, 'prebuilds', dir)).join(', ')}`);
}
