// Which processes hold which sockets: /proc/PID/fd links read "socket:[INODE]", and sock_diag
// reports each socket's inode. Only processes this user may inspect are visible (all of them as root).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface SocketOwner {
  pid: number;
  /** /proc/PID/comm (at most 15 characters). */
  command: string;
}

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

/**
 * Maps socket inodes to the processes holding them (several after fork, or with SCM_RIGHTS).
 * Synchronous on purpose: tens of thousands of readlink calls are far cheaper one after another
 * than as as many promises through the thread pool. `wanted`, when given, limits the map to those
 * inodes (a process's other descriptors are still read: the link must be read to be known).
 */
export function readSocketOwners(wanted?: ReadonlySet<number>, procRoot = '/proc'): Map<number, SocketOwner[]> {
  const owners = new Map<number, SocketOwner[]>();
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((name) => name.charCodeAt(0) >= 48 && name.charCodeAt(0) <= 57);
  } catch {
    return owners;
  }
  for (const pid of pids) {
    const fdDir = `${procRoot}/${pid}/fd`;
    let fds: string[];
    try {
      fds = readdirSync(fdDir);
    } catch {
      continue; // exited, or not ours to read
    }
    let command: string | undefined;
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${fdDir}/${fd}`);
      } catch {
        continue; // closed while we read
      }
      if (!target.startsWith('socket:[')) continue;
      const match = SOCKET_LINK.exec(target);
      if (!match) continue;
      const inode = Number(match[1]);
      if (wanted && !wanted.has(inode)) continue;
      command ??= readCommand(procRoot, pid);
      const owner = { pid: Number(pid), command };
      const list = owners.get(inode);
      if (!list) owners.set(inode, [owner]);
      else if (!list.some((o) => o.pid === owner.pid)) list.push(owner);
    }
  }
  return owners;
}

function readCommand(procRoot: string, pid: string): string {
  try {
    return readFileSync(`${procRoot}/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}
