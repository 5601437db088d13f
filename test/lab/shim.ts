// Builds the SO_OOBINLINE shim (shim/oobinline-shim.c) into a gitignored .so next to it, once,
// and finds mptcpize's own preload library so both can be preloaded together.
import { existsSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { labDir } from './paths.js';

const source = path.join(labDir, 'shim', 'oobinline-shim.c');
export const shimLibrary = path.join(labDir, 'shim', 'oobinline-shim.so');

let building: Promise<string> | undefined;

/** Path of the compiled shim; compiles it with gcc when missing or older than its source. */
export function ensureShim(): Promise<string> {
  building ??= build().catch((error: unknown) => {
    building = undefined;
    throw error;
  });
  return building;
}

async function build(): Promise<string> {
  if (existsSync(shimLibrary) && statSync(shimLibrary).mtimeMs >= statSync(source).mtimeMs) return shimLibrary;
  // Parallel workers may build at once: each writes its own file and renames it into place (atomic).
  const temporary = `${shimLibrary}.${process.pid}.tmp`;
  const r = await execa('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-o', temporary, source, '-ldl'], { reject: false, timeout: 60_000 });
  if (r.exitCode !== 0) throw new Error(`lab: could not compile ${source}: ${r.stderr || r.stdout}`);
  renameSync(temporary, shimLibrary);
  return shimLibrary;
}

let wrapLibrary: Promise<string> | undefined;

/**
 * The library `mptcpize run` preloads. mptcpize *replaces* LD_PRELOAD (it does not append), so to
 * add our shim we ask mptcpize itself what it sets (`mptcpize run printenv LD_PRELOAD`) and start
 * the server as `mptcpize run env LD_PRELOAD="<wrap> <shim>" vsftpd ...`: still under mptcpize,
 * and mptcpize and env both exec in place, so the pid is vsftpd's.
 */
export function mptcpizeLibrary(): Promise<string> {
  wrapLibrary ??= (async () => {
    const r = await execa('mptcpize', ['run', 'printenv', 'LD_PRELOAD'], { reject: false, timeout: 10_000 });
    const value = r.stdout.trim();
    if (r.exitCode !== 0 || value === '') throw new Error(`lab: mptcpize run did not set LD_PRELOAD (${r.stderr.trim()})`);
    return value;
  })();
  return wrapLibrary;
}

/** argv run under mptcpize with the SO_OOBINLINE shim preloaded as well (third-party FTP servers). */
export async function underMptcpize(argv: readonly string[]): Promise<string[]> {
  const [wrap, shim] = await Promise.all([mptcpizeLibrary(), ensureShim()]);
  return ['mptcpize', 'run', 'env', `LD_PRELOAD=${wrap} ${shim}`, ...argv];
}
