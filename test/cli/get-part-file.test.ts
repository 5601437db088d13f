// get writes FILE.part in a directory others may write to (/tmp). Someone else (here: nobody) can
// plant a name there first: a symlink to a file of ours, a FIFO, a file of their own. get must
// refuse each with one line and exit 2, write nothing through it, and append nothing with
// --continue; a .part of our own still resumes.
import { chmodSync, chownSync, lchownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { probeBytes, startServer, type ProbeServer } from '../../src/server/index.js';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';

const skip = missingRequirement('get and a planted .part', 'root', 'tool:mkfifo', 'tool:id');

describe.skipIf(skip)('get refuses a .part it did not make', () => {
  const cli = requireDist();
  let serve: ProbeServer;
  let base: string;
  let shared: string;
  let nobody: { uid: number; gid: number };
  let counter = 0;
  const precious = Buffer.from('root-owned contents that must survive\n');

  beforeAll(async () => {
    serve = await startServer({ host: '127.0.0.1', port: 0 });
    base = mkdtempSync(join(tmpdir(), 'md-part-'));
    // A world-writable sticky directory, as /tmp is.
    shared = join(base, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    nobody = {
      uid: Number((await execa('id', ['-u', 'nobody'])).stdout),
      gid: Number((await execa('id', ['-g', 'nobody'])).stdout),
    };
  });
  afterAll(async () => {
    await serve?.close(0);
    rmSync(base, { recursive: true, force: true });
  });

  /** A root-owned file outside the shared directory, the attacker's target. */
  function victim(): string {
    const file = join(base, `victim-${++counter}`);
    writeFileSync(file, precious, { mode: 0o600 });
    return file;
  }

  function get(local: string, ...args: string[]) {
    return execa('node', [cli, 'get', `ftp://127.0.0.1:${serve.port}/probe/1K`, local, ...args], { reject: false, timeout: 20_000, env: { NO_COLOR: '1' } });
  }

  for (const resume of [false, true]) {
    const flags = resume ? ['--continue'] : [];
    const label = resume ? ' with --continue' : '';

    test(`a symlink planted by nobody${label}: exit 2, one line, the target untouched`, async () => {
      const target = victim();
      const local = join(shared, `sym-${counter}`);
      symlinkSync(target, `${local}.part`);
      lchownSync(`${local}.part`, nobody.uid, nobody.gid);
      const result = await get(local, ...flags);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim()).toBe(`mptcp-doctor: refusing to write ${local}.part: it is a symbolic link; remove it or download to another name`);
      expect(readFileSync(target)).toEqual(precious);
      expect(readlinkSync(`${local}.part`)).toBe(target);
      expect(existsSync(local)).toBe(false);
    });

    test(`a FIFO${label}: exit 2 at once, nothing blocks`, async () => {
      const local = join(shared, `fifo-${++counter}`);
      await execa('mkfifo', [`${local}.part`]);
      const started = Date.now();
      const result = await get(local, ...flags);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim()).toBe(`mptcp-doctor: refusing to write ${local}.part: it is a FIFO; remove it or download to another name`);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(lstatSync(`${local}.part`).isFIFO()).toBe(true);
    });

    test(`a hard link to a file of ours${label}: exit 2, the file left as it was`, async () => {
      const target = join(base, `linked-${++counter}`);
      writeFileSync(target, precious, { mode: 0o600 });
      const local = join(shared, `linked-${counter}`);
      linkSync(target, `${local}.part`);
      const result = await get(local, ...flags);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim()).toBe(`mptcp-doctor: refusing to write ${local}.part: it has 2 names (hard links): writing it would change another file; remove it or download to another name`);
      expect(readFileSync(target)).toEqual(precious);
      expect(existsSync(local)).toBe(false);
    });

    test(`a regular file owned by nobody${label}: exit 2, left as it was`, async () => {
      const local = join(shared, `theirs-${++counter}`);
      writeFileSync(`${local}.part`, precious, { mode: 0o666 });
      chownSync(`${local}.part`, nobody.uid, nobody.gid);
      const result = await get(local, ...flags);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim()).toBe(`mptcp-doctor: refusing to write ${local}.part: it is owned by uid ${nobody.uid}, not by you (uid 0); remove it or download to another name`);
      expect(readFileSync(`${local}.part`)).toEqual(precious);
      expect(existsSync(local)).toBe(false);
    });
  }

  test('--continue with a planted symlink to a file of exactly the remote size: not renamed into place', async () => {
    const target = join(base, `full-${++counter}`);
    writeFileSync(target, Buffer.alloc(1024, 1), { mode: 0o600 });
    const local = join(shared, `full-${counter}`);
    symlinkSync(target, `${local}.part`);
    const result = await get(local, '--continue');
    expect(result.exitCode).toBe(2);
    expect(existsSync(local)).toBe(false);
    expect(lstatSync(`${local}.part`).isSymbolicLink()).toBe(true);
  });

  test('our own .part still resumes (--continue) and a fresh get still works', async () => {
    const expected = probeBytes(0, 1024);
    const local = join(shared, `mine-${++counter}`);
    writeFileSync(`${local}.part`, expected.subarray(0, 300));
    const resumed = await get(local, '--continue', '--json');
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ offset: 300, bytes: 724, totalBytes: 1024 });
    expect(readFileSync(local)).toEqual(expected);

    const fresh = join(shared, `fresh-${++counter}`);
    // A stale .part of ours without --continue is started over, not appended to.
    writeFileSync(`${fresh}.part`, Buffer.alloc(5000, 7));
    const result = await get(fresh);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readFileSync(fresh)).toEqual(expected);
    expect(lstatSync(fresh).mode & 0o777).toBe(0o644 & ~process.umask());
  });
});
