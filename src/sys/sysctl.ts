// Sysctls as keys ('net.mptcp.enabled') and /proc/sys paths. Reading is a file read; writing runs
// `sysctl -w key=value` (procps) with an argument array, as an administrator would.
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { runProgram } from './run-program.js';

const PROC_SYS = '/proc/sys';

/**
 * The sysctl key for path segments. A segment with a dot (an interface named eth0.100) forces the
 * slash form, which procps sysctl also accepts: net/ipv4/conf/eth0.100/rp_filter.
 */
export function sysctlKey(segments: string[]): string {
  return segments.some((s) => s.includes('.')) ? segments.join('/') : segments.join('.');
}

/** /proc/sys path of a key in either form; throws on anything that could leave /proc/sys. */
export function sysctlPath(key: string): string {
  const segments = key.includes('/') ? key.split('/') : key.split('.');
  if (segments.length < 2 || segments.some((s) => s === '' || s === '..' || s === '.' || /[\s\0=]/.test(s))) {
    throw new Error(`not a sysctl key: ${JSON.stringify(key)}`);
  }
  return `${PROC_SYS}/${segments.join('/')}`;
}

/** The trimmed value, or undefined when the sysctl does not exist (or cannot be read). */
export async function readSysctl(key: string): Promise<string | undefined> {
  try {
    return (await readFile(sysctlPath(key), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Why the key cannot be written by this process (EROFS: read-only /proc/sys, EACCES: not root), or undefined. */
export async function sysctlWriteProblem(key: string): Promise<string | undefined> {
  const path = sysctlPath(key);
  try {
    await access(path, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    switch (code) {
      case 'EROFS':
        return `${path} is on a read-only file system (a container without write access to /proc/sys?)`;
      case 'EACCES':
      case 'EPERM':
        return `${path} is not writable by this user (root needed)`;
      case 'ENOENT':
        return `${path} does not exist on this kernel`;
      default:
        return `${path}: ${code}`;
    }
  }
}

/** Sets one sysctl with `sysctl -w key=value`; throws ProgramError with sysctl's message on failure. */
export async function writeSysctl(key: string, value: string): Promise<void> {
  sysctlPath(key); // validates
  if (/[\s\0]/.test(value) || value === '') throw new Error(`not a sysctl value: ${JSON.stringify(value)}`);
  await runProgram('sysctl', ['-w', `${key}=${value}`]);
}
