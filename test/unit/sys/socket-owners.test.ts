// Socket owners from /proc: a made-up /proc tree (descriptor links are symlinks whose text is what
// the kernel shows) for the cases, and the real one for this process's own socket.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSocketOwners } from '../../../src/sys/socket-owners.js';

const root = mkdtempSync(path.join(tmpdir(), 'proc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function process_(pid: number, command: string, links: Record<string, string>): void {
  mkdirSync(path.join(root, String(pid), 'fd'), { recursive: true });
  writeFileSync(path.join(root, String(pid), 'comm'), `${command}\n`);
  for (const [fd, target] of Object.entries(links)) symlinkSync(target, path.join(root, String(pid), 'fd', fd));
}

process_(100, 'server', { 0: '/dev/null', 3: 'socket:[5001]', 4: 'socket:[5002]', 5: 'pipe:[77]', 6: 'socket:[5003]' });
// A forked child sharing two of its parent's sockets, and one of its own.
process_(101, 'server', { 3: 'socket:[5001]', 4: 'socket:[5002]', 7: 'socket:[6001]' });
// The same socket on two descriptors of one process (dup), and links that only look like sockets.
process_(200, 'a  b\tc', { 3: 'socket:[7001]', 4: 'socket:[7001]', 5: 'socket:[]', 6: 'socket:[12a]', 7: 'socket:[7002', 8: 'anon_inode:[eventfd]' });
// No descriptors at all; a directory that is no process.
process_(300, 'idle', {});
mkdirSync(path.join(root, 'self-like'), { recursive: true });

describe('readSocketOwners', () => {
  const owners = readSocketOwners(undefined, root);

  it('names every socket\'s processes, once each, in the order /proc lists them', () => {
    expect([...owners.keys()].sort()).toEqual([5001, 5002, 5003, 6001, 7001]);
    expect(owners.get(5001)).toEqual([{ pid: 100, command: 'server' }, { pid: 101, command: 'server' }]);
    expect(owners.get(5003)).toEqual([{ pid: 100, command: 'server' }]);
    expect(owners.get(6001)).toEqual([{ pid: 101, command: 'server' }]);
    expect(owners.get(7001)).toEqual([{ pid: 200, command: 'a  b\tc' }]);
  });

  it('shares one list among the sockets two processes share (not one per socket)', () => {
    expect(owners.get(5001)).toBe(owners.get(5002));
    expect(owners.get(5003)).not.toBe(owners.get(5001));
  });

  it('keeps only the inodes asked for', () => {
    const some = readSocketOwners(new Set([5002, 7001, 9999]), root);
    expect([...some.keys()].sort()).toEqual([5002, 7001]);
    expect(some.get(5002)!.map((o) => o.pid)).toEqual([100, 101]);
  });

  it('finds an empty map where there is no /proc', () => {
    expect(readSocketOwners(undefined, path.join(root, 'missing')).size).toBe(0);
  });

  it('finds this process behind a socket it holds, in the real /proc', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const mine = [...readSocketOwners()].filter(([, list]) => list.some((o) => o.pid === process.pid));
      expect(mine.length).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });
});
