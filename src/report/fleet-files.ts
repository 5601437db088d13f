// Reads the files `report` is pointed at: each FILE as given, each DIR searched for *.json (the
// layout the Ansible playbook fetches: DIR/HOST/check.json). What cannot be read is named, never fatal.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { InputFile, SkippedFile } from './fleet.js';

/** Bigger than any check or probe result by far: such a file is something else. */
export const MAX_RESULT_BYTES = 16 * 1024 * 1024;

function reasonOf(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? (error as Error).message;
}

/** *.json below `directory`, sorted; symlinked directories are not followed (no loops). */
function jsonFilesBelow(directory: string, skipped: SkippedFile[]): string[] {
  let entries;
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch (error) {
    skipped.push({ file: directory, reason: reasonOf(error) });
    return [];
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...jsonFilesBelow(path, skipped));
    else if ((entry.isFile() || entry.isSymbolicLink()) && entry.name.toLowerCase().endsWith('.json')) files.push(path);
  }
  return files;
}

function readOne(path: string, skipped: SkippedFile[]): InputFile | undefined {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) {
      skipped.push({ file: path, reason: 'not a regular file' });
      return undefined;
    }
    if (stat.size > MAX_RESULT_BYTES) {
      skipped.push({ file: path, reason: `${stat.size} bytes: too big for a check or probe result` });
      return undefined;
    }
    return { path, text: readFileSync(path, 'utf8'), mtimeMs: stat.mtimeMs };
  } catch (error) {
    skipped.push({ file: path, reason: reasonOf(error) });
    return undefined;
  }
}

/** The files behind FILE|DIR arguments (each read once), and those that could not be read. */
export function readResultFiles(paths: readonly string[]): { files: InputFile[]; unreadable: SkippedFile[] } {
  const unreadable: SkippedFile[] = [];
  const seen = new Set<string>();
  const files: InputFile[] = [];
  for (const path of paths) {
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (error) {
      unreadable.push({ file: path, reason: reasonOf(error) });
      continue;
    }
    for (const file of isDirectory ? jsonFilesBelow(path, unreadable) : [path]) {
      if (seen.has(file)) continue;
      seen.add(file);
      const read = readOne(file, unreadable);
      if (read) files.push(read);
    }
  }
  return { files, unreadable };
}
