// Opening a download's FILE.part safely. The .part usually sits in a directory others can write
// (/tmp, a shared download folder), so whoever can create a name there could plant a symbolic link
// to a file of ours (or root's) and have the download overwrite it, or have --continue append to it.
// The partial file is therefore opened without following links (O_NOFOLLOW), created exclusively
// when new (O_CREAT | O_EXCL), and what was actually opened is checked with fstat (no race between
// a check and the open): a regular file owned by us, or we refuse.
import { constants, fstat as fstatCallback, lstat as lstatCallback, open as openCallback, close as closeCallback, ftruncate as ftruncateCallback, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { UnsafePartialFileError } from './errors.js';

const open = promisify(openCallback);
const fstat = promisify(fstatCallback);
const lstat = promisify(lstatCallback);
const close = promisify(closeCallback);
const ftruncate = promisify(ftruncateCallback);

export interface PartialFile {
  fd: number;
  /** Bytes already in it (kept when resuming, 0 otherwise). */
  size: number;
}

function kindOf(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/** Why `stats` (of the opened or found .part) must not be written, or undefined when it may. */
function unsafeReason(stats: Stats, uid: number): string | undefined {
  if (!stats.isFile()) return `it is ${kindOf(stats)}`;
  if (stats.uid !== uid) return `it is owned by uid ${stats.uid}, not by you (uid ${uid})`;
  // Another name for the same file: with fs.protected_hardlinks off, anyone may link a file of
  // ours into their directory, and writing "the .part" would change that file.
  if (stats.nlink > 1) return `it has ${stats.nlink} names (hard links): writing it would change another file`;
  return undefined;
}

function refuse(path: string, reason: string): UnsafePartialFileError {
  return new UnsafePartialFileError(`refusing to write ${path}: ${reason}; remove it or download to another name`);
}

function currentUid(): number {
  return process.geteuid?.() ?? 0;
}

/**
 * Opens `path` (a .part) for writing. `resume`: keep what is there and report its size; otherwise
 * start empty. Throws UnsafePartialFileError for a symlink, anything but a regular file, or a file
 * someone else owns; other errors (EACCES, ENOSPC, ...) are thrown as they come.
 */
export async function openPartialFile(path: string, options: { resume: boolean }): Promise<PartialFile> {
  const uid = currentUid();
  // A first look, so that a FIFO is refused by name rather than opened (it would block).
  const found = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (found) {
    const reason = unsafeReason(found, uid);
    if (reason) throw refuse(path, reason);
  }
  let fd: number;
  if (!found) {
    try {
      fd = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    } catch (error) {
      // Someone created the name between our look and the open.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw refuse(path, 'it appeared while the download was starting');
      throw error;
    }
    return { fd, size: 0 };
  }
  try {
    // O_NONBLOCK: if the name was swapped for a FIFO since the look, the open must not block.
    fd = await open(path, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw refuse(path, 'it is a symbolic link');
    if (code === 'ENXIO') throw refuse(path, 'it is a FIFO');
    throw error;
  }
  try {
    const opened = await fstat(fd);
    const reason = unsafeReason(opened, uid);
    if (reason) throw refuse(path, reason);
    if (!options.resume) await ftruncate(fd, 0);
    return { fd, size: options.resume ? opened.size : 0 };
  } catch (error) {
    await close(fd).catch(() => undefined);
    throw error;
  }
}

/** Size of the .part when it is safe to resume from it (no link followed), else undefined. */
export async function partialFileSize(path: string): Promise<number | undefined> {
  try {
    const found = await lstat(path);
    return found.isFile() ? found.size : undefined;
  } catch {
    return undefined;
  }
}
