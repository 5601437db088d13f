import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileWriteProblem, writeFileAtomic } from '../../../src/sys/atomic-write.js';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('replaces the file whole and leaves no temporary file', async () => {
    const path = join(dir, 'mptcp.prom');
    await writeFile(path, 'old\n');
    await writeFileAtomic(path, 'new\n');
    expect(await readFile(path, 'utf8')).toBe('new\n');
    expect(await readdir(dir)).toEqual(['mptcp.prom']);
    expect((await stat(path)).mode & 0o777).toBe(0o644);
  });

  it('fails without leaving anything when the directory is missing', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'x'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
    expect(await fileWriteProblem(join(dir, 'missing', 'x'))).toContain('does not exist');
    expect(await fileWriteProblem(join(dir, 'x'))).toBeUndefined();
  });
});
