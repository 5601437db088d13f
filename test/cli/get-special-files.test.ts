// get into something that is not a regular file: written in place, never replaced.
import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type ProbeServer } from '../../src/server/index.js';
import { requireDist } from '../support/dist.js';

const cli = requireDist();

describe('get to special files', () => {
  let serve: ProbeServer;
  let dir: string;
  beforeAll(async () => {
    serve = await startServer({ host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'md-get-'));
  });
  afterAll(async () => {
    await serve.close(0);
    rmSync(dir, { recursive: true, force: true });
  });

  test('/dev/null stays the null device (no .part renamed over it), no --force needed', async () => {
    const result = await execa('node', [cli, 'get', `ftp://127.0.0.1:${serve.port}/probe/1M`, '/dev/null', '--json'], { reject: false, timeout: 30_000 });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ bytes: 1 << 20, file: '/dev/null' });
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  test('a directory is refused with one line, exit 2', async () => {
    const result = await execa('node', [cli, 'get', `ftp://127.0.0.1:${serve.port}/probe/1M`, dir], { reject: false, timeout: 30_000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe(`mptcp-doctor: ${dir} is a directory: give a file name`);
  });

  test('--continue into a device is refused', async () => {
    const result = await execa('node', [cli, 'get', `ftp://127.0.0.1:${serve.port}/probe/1M`, '/dev/null', '--continue'], { reject: false, timeout: 30_000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--continue needs a regular file');
  });
});
