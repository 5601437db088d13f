// Files other programs read while we write them (node_exporter's textfile collector, sysctl.d):
// write a temporary file in the same directory, then rename it over the target (atomic on one file system).
import { randomBytes } from 'node:crypto';
import { access, chmod, constants, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, content, { mode, flag: 'wx' });
    // Readers (node_exporter, systemd-sysctl) run as other users: do not let a strict umask hide it.
    await chmod(temporary, mode);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Why `path` could not be written (its directory missing or not writable), or undefined. */
export async function fileWriteProblem(path: string): Promise<string | undefined> {
  const directory = dirname(path);
  try {
    await access(directory, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') return `${directory} does not exist`;
    if (code === 'EROFS') return `${directory} is on a read-only file system`;
    return `${directory} is not writable by this user`;
  }
}
