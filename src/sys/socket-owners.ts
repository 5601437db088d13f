// Which processes hold which sockets: /proc/PID/fd links read "socket:[INODE]", and sock_diag
// reports each socket's inode. Only processes this user may inspect are visible (all of them as root).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface SocketOwner {
  pid: number;
  /** /proc/PID/comm (at most 15 characters). */
  command: string;
}

const SOCKET_PREFIX = 'socket:[';
const DIGITS = /^\d+$/;

/**
 * Maps socket inodes to the processes holding them (several after fork, or with SCM_RIGHTS).
 * Synchronous on purpose: tens of thousands of readlink calls are far cheaper one after another
 * than as as many promises through the thread pool. `wanted`, when given, limits the map to those
 * inodes (a process's other descriptors are still read: the link must be read to be known).
 *
 * The lists are shared, and must not be changed: every socket held by one process alone maps to
 * the same one-element list, so a server holding 10,000 sockets costs one list, not 10,000.
 */
export function readSocketOwners(wanted?: ReadonlySet<number>, procRoot = '/proc'): Map<number, readonly SocketOwner[]> {
  const owners = new Map<number, readonly SocketOwner[]>();
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((name) => name.charCodeAt(0) >= 48 && name.charCodeAt(0) <= 57);
  } catch {
    return owners;
  }
  for (const pid of pids) readProcess(procRoot, pid, wanted, owners);
  return owners;
}

/** The socket descriptors of one process, added to `owners`. */
function readProcess(procRoot: string, pid: string, wanted: ReadonlySet<number> | undefined, owners: Map<number, readonly SocketOwner[]>): void {
  const fdDir = `${procRoot}/${pid}/fd/`;
  let fds: string[];
  try {
    fds = readdirSync(fdDir);
  } catch {
    return; // exited, or not ours to read
  }
  let alone: readonly SocketOwner[] | undefined;
  // Sockets shared with processes read before (fork): each earlier list grows into one new list.
  let grown: Map<readonly SocketOwner[], readonly SocketOwner[]> | undefined;
  for (const fd of fds) {
    const inode = socketInode(fdDir + fd);
    if (inode < 0 || (wanted && !wanted.has(inode))) continue;
    alone ??= [{ pid: Number(pid), command: readCommand(procRoot, pid) }];
    const owner = alone[0]!;
    const list = owners.get(inode);
    if (!list) {
      owners.set(inode, alone);
    } else if (list !== alone && !list.some((o) => o.pid === owner.pid)) {
      grown ??= new Map();
      let next = grown.get(list);
      if (!next) {
        next = [...list, owner];
        grown.set(list, next);
      }
      owners.set(inode, next);
    }
  }
}

/** The inode of the socket a descriptor link names ("socket:[123]"), -1 for anything else. */
function socketInode(link: string): number {
  let target: string;
  try {
    target = readlinkSync(link);
  } catch {
    return -1; // closed while we read
  }
  // Files, pipes, anon inodes: not a socket.
  if (target.charCodeAt(0) !== 115 || !target.startsWith(SOCKET_PREFIX) || target.charCodeAt(target.length - 1) !== 93) return -1;
  const digits = target.slice(SOCKET_PREFIX.length, -1);
  return DIGITS.test(digits) ? Number(digits) : -1;
}

function readCommand(procRoot: string, pid: string): string {
  try {
    return readFileSync(`${procRoot}/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}
