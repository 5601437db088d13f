// The npm package as a sysadmin installs it: `npm pack`, then `npm install -g` of the tarball into a
// fresh prefix on a PATH without a compiler (cc, c++, g++, make, python3 absent): the prebuilt addon
// is used, `mptcp-doctor check` runs and its self-test passes, the man page is installed. And with
// no matching prebuild, the install compiles the addon from source (with the compiler back).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packTarball } from '../support/artifacts.js';
import { packageRoot } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';

const skip = missingRequirement('npm pack and install', 'root', 'tool:npm', 'tool:ip', 'tool:readelf');
const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
/** The tools an install needs, and nothing else: no compiler, no make, no python. */
const TOOLS = ['node', 'sh', 'env', 'ip'];
const COMPILERS = ['cc', 'c++', 'g++', 'gcc', 'make', 'python3'];

function npmCli(): string {
  // npm's own entry script (the `npm` on the PATH links to it; it finds node through env).
  return join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
}

/** Node's headers beside this Node (what ~/.npmrc nodedir says here): node-gyp then needs no download. */
function nodeDir(): Record<string, string> {
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? { npm_config_nodedir: prefix } : {};
}

describe.skipIf(skip)('npm pack, then npm install -g of the tarball', () => {
  let work: string;
  let tarball: string;
  let bin: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mptcp-doctor-pack-'));
    tarball = await packTarball(work);
    bin = join(work, 'bin');
    mkdirSync(bin);
    for (const tool of TOOLS) {
      const found = (await execa('sh', ['-c', 'command -v "$1"', 'sh', tool])).stdout.trim();
      symlinkSync(found, join(bin, tool));
    }
    symlinkSync(npmCli(), join(bin, 'npm'));
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** npm with only `bin` (and the prefix's bin) on the PATH, an empty home and no registry. */
  function npm(args: string[], extra: Record<string, string> = {}, path = bin) {
    return execa('npm', [...args, '--offline', '--no-audit', '--no-fund'], {
      env: { PATH: path, HOME: join(work, 'home'), npm_config_cache: join(work, 'cache'), ...extra },
      extendEnv: false,
      timeout: 180_000,
      reject: false,
      all: true,
    });
  }

  it('carries the bundle, the man page, both prebuilt addons and the two bundled dependencies; no sources or maps', async () => {
    const list = (await execa('tar', ['tzf', tarball])).stdout.split('\n');
    expect(list).toEqual(expect.arrayContaining([
      'package/dist/bin/main.js',
      'package/man/mptcp-doctor.1',
      'package/prebuilds/linux-x64/mptcp-doctor.glibc.node',
      'package/native/addon.cc',
      'package/binding.gyp',
      'package/node_modules/node-gyp-build/package.json',
      'package/node_modules/node-addon-api/package.json',
    ]));
    expect(list.filter((f) => f.endsWith('.map') || f.startsWith('package/src/') || f.startsWith('package/test/'))).toEqual([]);
  });

  it('the linux-arm64 prebuild is an AArch64 Node-API module (cross-built with Debian\'s g++-aarch64-linux-gnu)', async () => {
    if (missingRequirement('linux-arm64 prebuild', 'tool:aarch64-linux-gnu-g++')) return;
    const out = join(work, 'unpacked');
    mkdirSync(out);
    await execa('tar', ['xzf', tarball, '-C', out, 'package/prebuilds']);
    const file = join(out, 'package', 'prebuilds', 'linux-arm64', 'mptcp-doctor.glibc.node');
    expect((await execa('readelf', ['-h', file])).stdout).toMatch(/Machine:\s+AArch64/);
    expect((await execa('readelf', ['--dyn-syms', '-W', file])).stdout).toMatch(/FUNC\s+GLOBAL\s+DEFAULT\s+\d+\s+napi_register_module_v1/);
  });

  it('installs without a compiler (its install script finds the prebuild), and check runs with the self-test passing', async () => {
    const absent = await execa('sh', ['-c', COMPILERS.map((c) => `command -v ${c}`).join(' || ')], { env: { PATH: bin }, extendEnv: false, reject: false });
    expect(absent.stdout).toBe('');
    const prefix = join(work, 'prefix');
    // --allow-scripts: npm 11 skips a dependency's install script unless allowed; allowed, it is
    // node-gyp-build, which would compile (and fail here) if no prebuild matched.
    const install = await npm(['install', '-g', '--prefix', prefix, '--allow-scripts=mptcp-doctor', '--foreground-scripts', tarball]);
    expect(install.exitCode, install.all).toBe(0);
    expect(install.all).toContain('node-gyp-build');
    const installed = join(prefix, 'lib', 'node_modules', 'mptcp-doctor');
    expect(existsSync(join(installed, 'build'))).toBe(false);
    expect(existsSync(join(prefix, 'share', 'man', 'man1', 'mptcp-doctor.1'))).toBe(true);

    const path = `${join(prefix, 'bin')}:${bin}`;
    const check = await execa('mptcp-doctor', ['check', '--json'], { env: { PATH: path }, extendEnv: false, reject: false, timeout: 60_000 });
    expect([0, 1], check.stderr).toContain(check.exitCode);
    const results = (JSON.parse(check.stdout) as { checks: Array<{ id: string; status: string; summary: string }> }).checks;
    const status = Object.fromEntries(results.map((r) => [r.id, r.status]));
    expect(status['socket.mptcp']).toBe('pass');
    expect(status['selftest.loopback'], results.find((r) => r.id === 'selftest.loopback')?.summary).toBe('pass');
  }, 240_000);

  it('--version prints the package version, from any directory', async () => {
    const path = `${join(work, 'prefix', 'bin')}:${bin}`;
    const shown = await execa('mptcp-doctor', ['--version'], { env: { PATH: path }, extendEnv: false, cwd: work });
    expect(shown.stdout.trim()).toBe(version);
  });

  it('installs with npm 11\'s default (install scripts not run): the prebuild is loaded at run time', async () => {
    const prefix = join(work, 'prefix-default');
    const install = await npm(['install', '-g', '--prefix', prefix, tarball]);
    expect(install.exitCode, install.all).toBe(0);
    const check = await execa('mptcp-doctor', ['check', '--only', 'socket.mptcp'], { env: { PATH: `${join(prefix, 'bin')}:${bin}`, NO_COLOR: '1' }, extendEnv: false, reject: false });
    expect(check.stdout).toMatch(/PASS\s+socket\.mptcp/);
    expect(check.exitCode).toBe(0);
  }, 240_000);

  it('compiles the addon from source when no prebuild matches (the compiler back on the PATH)', async () => {
    if (missingRequirement('install from source', 'tool:g++', 'tool:make', 'tool:python3')) return;
    // The same package without its prebuilds: what a host of another architecture or libc gets.
    const unpacked = join(work, 'noprebuilds');
    mkdirSync(unpacked);
    await execa('tar', ['xzf', tarball, '-C', unpacked]);
    rmSync(join(unpacked, 'package', 'prebuilds'), { recursive: true });
    const stripped = join(work, 'noprebuilds.tgz');
    await execa('tar', ['czf', stripped, '-C', unpacked, 'package']);
    const prefix = join(work, 'prefix-source');
    const install = await npm(['install', '-g', '--prefix', prefix, '--allow-scripts=mptcp-doctor', '--foreground-scripts', stripped], nodeDir(), process.env.PATH);
    expect(install.exitCode, install.all).toBe(0);
    expect(existsSync(join(prefix, 'lib', 'node_modules', 'mptcp-doctor', 'build', 'Release', 'mptcp_doctor.node'))).toBe(true);
    const check = await execa(join(prefix, 'bin', 'mptcp-doctor'), ['check', '--only', 'socket.mptcp'], { env: { NO_COLOR: '1' }, reject: false });
    expect(check.stdout).toMatch(/PASS\s+socket\.mptcp/);
  }, 240_000);
});
