// findSomeOwners: the owners of a few sockets (check's listeners, watch's new connections) without a full /proc scan. The order and the early
// stop are checked on a small /proc tree of real symlinks (readlink reads them exactly as it reads
// /proc's), the lookup itself on this process's own listening socket in the real /proc.
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findSomeOwners } from '../../../src/sys/socket-owners.js';

function fakeProc(processes: Array<{ pid: number; ns: string; comm: string; sockets: number[] }>, ownNs: string): string {
  const root = mkdtempSync(join(tmpdir(), 'fake-proc-'));
  mkdirSync(join(root, 'self', 'ns'), { recursive: true });
  symlinkSync(`net:[${ownNs}]`, join(root, 'self', 'ns', 'net'));
  for (const p of processes) {
    mkdirSync(join(root, String(p.pid), 'ns'), { recursive: true });
    mkdirSync(join(root, String(p.pid), 'fd'));
    symlinkSync(`net:[${p.ns}]`, join(root, String(p.pid), 'ns', 'net'));
    writeFileSync(join(root, String(p.pid), 'comm'), `${p.comm}\n`);
    symlinkSync('/dev/null', join(root, String(p.pid), 'fd', '0'));
    p.sockets.forEach((inode, i) => symlinkSync(`socket:[${inode}]`, join(root, String(p.pid), 'fd', String(3 + i))));
  }
  return root;
}

describe('findSomeOwners', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  it('looks in our network namespace first and stops once every socket has an owner', () => {
    const root = fakeProc([
      // A process elsewhere with a lower pid also holds socket 100 (inherited across setns, say).
      { pid: 5, ns: '111', comm: 'elsewhere', sockets: [100, 7, 8] },
      { pid: 40, ns: '222', comm: 'vsftpd', sockets: [100] },
      { pid: 41, ns: '222', comm: 'sshd', sockets: [200] },
      { pid: 90, ns: '222', comm: 'later', sockets: [100, 200] },
    ], '222');
    roots.push(root);
    const owners = findSomeOwners(new Set([100, 200]), root);
    expect(Object.fromEntries(owners)).toEqual({
      100: [{ pid: 40, command: 'vsftpd' }],
      200: [{ pid: 41, command: 'sshd' }],
    });
  });

  it('goes on to the other namespaces for a socket nobody here holds', () => {
    const root = fakeProc([
      { pid: 5, ns: '111', comm: 'holder', sockets: [300] },
      { pid: 40, ns: '222', comm: 'vsftpd', sockets: [100] },
    ], '222');
    roots.push(root);
    expect(Object.fromEntries(findSomeOwners(new Set([100, 300]), root))).toEqual({
      100: [{ pid: 40, command: 'vsftpd' }],
      300: [{ pid: 5, command: 'holder' }],
    });
    expect(findSomeOwners(new Set([999]), root).size).toBe(0);
    expect(findSomeOwners(new Set(), join(root, 'missing')).size).toBe(0);
  });

  it('finds this process as the owner of its own listening socket in the real /proc', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
      const inode = Number(/socket:\[(\d+)\]/.exec(readlinkSync(`/proc/self/fd/${fd}`))![1]);
      const owners = findSomeOwners(new Set([inode]));
      expect(owners.get(inode)?.map((o) => o.pid)).toContain(process.pid);
    } finally {
      server.close();
    }
  });
});
