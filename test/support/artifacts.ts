// The release artifacts the install tests share: the prebuilt addons (scripts/prebuild.mjs) and
// the single executable (scripts/sea.mjs). Each is built at most once per change, by whichever
// test file needs it first; a lock file keeps parallel workers from building (or reading) them at
// the same time. Nothing here rebuilds dist/: tests run the CLI that `npm run build` made, and
// rewriting it under running tests would pull files from under them.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { packageRoot, requireDist } from './dist.js';

export const seaPath = join(packageRoot, 'dist', `mptcp-doctor-linux-${arch()}`);
export const prebuildsDir = join(packageRoot, 'prebuilds');
const lockPath = join(packageRoot, 'dist', '.artifacts.lock');
const BUILD_TIMEOUT_MS = 240_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      // A holder that died (killed run) leaves its lock behind: take it over.
      const holder = Number(readFileSync(lockPath, 'utf8').trim());
      if (holder > 0 && !alive(holder)) {
        rmSync(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`artifacts: ${lockPath} held by pid ${holder} for too long`);
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

function mtime(path: string): number {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

function newestSource(): number {
  const native = readdirSync(join(packageRoot, 'native')).map((f) => mtime(join(packageRoot, 'native', f)));
  return Math.max(mtime(join(packageRoot, 'binding.gyp')), ...native);
}

/** This architecture's prebuilt addon, if there is one. */
export function prebuiltAddon(architecture = arch()): string | undefined {
  const dir = join(prebuildsDir, `linux-${architecture}`);
  const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.node')) : undefined;
  return file ? join(dir, file) : undefined;
}

async function buildPrebuildsIfStale(): Promise<void> {
  const addon = prebuiltAddon();
  if (addon && mtime(addon) >= newestSource()) return;
  await execa(process.execPath, [join(packageRoot, 'scripts', 'prebuild.mjs')], { cwd: packageRoot, timeout: BUILD_TIMEOUT_MS, all: true });
}

/** prebuilds/ up to date with native/ (built under the lock when not). */
export async function ensurePrebuilds(): Promise<void> {
  await withLock(buildPrebuildsIfStale);
}

/** The single executable, up to date with dist/bin and the prebuilt addon; returns its path. */
export async function ensureSea(): Promise<string> {
  const bundle = requireDist();
  await withLock(async () => {
    await buildPrebuildsIfStale();
    if (mtime(seaPath) >= Math.max(mtime(bundle), mtime(prebuiltAddon()!))) return;
    await execa(process.execPath, [join(packageRoot, 'scripts', 'sea.mjs')], { cwd: packageRoot, timeout: BUILD_TIMEOUT_MS, all: true });
  });
  return seaPath;
}

/**
 * `npm pack` of the package as built (prebuilds made first, under the lock). --ignore-scripts: its
 * prepare would rebuild dist/ under the feet of the tests running beside this one.
 */
export async function packTarball(destination: string): Promise<string> {
  requireDist();
  if (!existsSync(join(packageRoot, 'man', 'mptcp-doctor.1'))) throw new Error('man/mptcp-doctor.1 is missing: run npm run build first');
  return withLock(async () => {
    await buildPrebuildsIfStale();
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination], { cwd: packageRoot, timeout: 120_000 });
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
    return join(destination, info!.filename);
  });
}
