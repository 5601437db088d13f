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

export interface WriteProblem {
  key: string;
  path: string;
  /** EROFS (read-only /proc/sys), EACCES/EPERM (not root), ENOENT (no such sysctl), ... */
  code: string;
}

/** Why this process cannot write the key, or undefined when it can (checked before changing anything). */
export async function sysctlWriteProblem(key: string): Promise<WriteProblem | undefined> {
  const path = sysctlPath(key);
  try {
    await access(path, constants.W_OK);
    return undefined;
  } catch (error) {
    return { key, path, code: (error as { code?: string }).code ?? 'EIO' };
  }
}

/** One line for several write problems, grouped by cause. */
export function describeWriteProblems(problems: readonly WriteProblem[]): string {
  const byCode = new Map<string, string[]>();
  for (const p of problems) byCode.set(p.code, [...(byCode.get(p.code) ?? []), p.key]);
  return [...byCode]
    .map(([code, keys]) => {
      const list = keys.join(', ');
      switch (code) {
        case 'EROFS':
          return `/proc/sys is read-only here (a container without write access to it?): cannot set ${list}`;
        case 'EACCES':
        case 'EPERM':
          return `not allowed to write ${list} (root needed)`;
        case 'ENOENT':
          return `${list}: no such sysctl on this kernel`;
        default:
          return `cannot write ${list}: ${code}`;
      }
    })
    .join('; ');
}

/** Sets one sysctl with `sysctl -w key=value`; throws ProgramError with sysctl's message on failure. */
export async function writeSysctl(key: string, value: string): Promise<void> {
  sysctlPath(key); // validates
  if (/[\s\0]/.test(value) || value === '') throw new Error(`not a sysctl value: ${JSON.stringify(value)}`);
  await runProgram('sysctl', ['-w', `${key}=${value}`]);
}
