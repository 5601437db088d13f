// --version prints package.json's version wherever the CLI is run from: another directory, through
// a symlink (what npm link and npm's bin links make), and from an npm pack tarball installed in a
// prefix. yargs' own lookup reads the package.json of the current directory, which only the
// source folder has.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packageRoot, requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';

const manifest = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
const skip = missingRequirement('--version from install paths', 'tool:npm', 'tool:tar');

/** Lays out a global install the way npm does: PREFIX/lib/node_modules/NAME and a PREFIX/bin link. */
function binLink(prefix: string, packageDir: string): string {
  const modules = path.join(prefix, 'lib', 'node_modules');
  mkdirSync(modules, { recursive: true });
  mkdirSync(path.join(prefix, 'bin'), { recursive: true });
  const installed = path.join(modules, 'mptcp-doctor');
  if (packageDir !== installed) symlinkSync(packageDir, installed);
  const bin = path.join(prefix, 'bin', 'mptcp-doctor');
  symlinkSync(path.join('..', 'lib', 'node_modules', 'mptcp-doctor', manifest.bin['mptcp-doctor']!), bin);
  return bin;
}

describe.skipIf(skip)('--version from every install path', () => {
  const cli = requireDist();
  let elsewhere: string;
  beforeAll(() => {
    elsewhere = mkdtempSync(path.join(tmpdir(), 'md-version-'));
  });
  afterAll(() => rmSync(elsewhere, { recursive: true, force: true }));

  async function version(command: string, args: string[] = []) {
    const result = await execa(command, [...args, '--version'], { cwd: elsewhere, reject: false, timeout: 20_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    return result.stdout.trim();
  }

  test('the built CLI run from another directory', async () => {
    expect(await version('node', [cli])).toBe(manifest.version);
  });

  test('through a symlink, as npm link makes it (prefix/bin -> lib/node_modules -> the source folder)', async () => {
    const bin = binLink(path.join(elsewhere, 'linked'), packageRoot);
    expect(await version(bin)).toBe(manifest.version);
  });

  test('from an npm pack tarball unpacked into a prefix (dependencies are bundled)', async () => {
    const packDir = path.join(elsewhere, 'pack');
    mkdirSync(packDir);
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], { cwd: packageRoot, timeout: 60_000 });
    const [{ filename }] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
    const prefix = path.join(elsewhere, 'installed');
    const installed = path.join(prefix, 'lib', 'node_modules', 'mptcp-doctor');
    mkdirSync(installed, { recursive: true });
    await execa('tar', ['-xzf', path.join(packDir, path.basename(filename!)), '-C', installed, '--strip-components=1']);
    const bin = binLink(prefix, installed);
    expect(await version(bin)).toBe(manifest.version);
  }, 90_000);
});
