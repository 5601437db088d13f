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

/**
 * At least one owner of each socket in `inodes`, without reading every descriptor of every process:
 * processes in this network namespace first (where its sockets almost always live), lowest pid
 * first, and the scan stops once every socket has an owner (after a fork the others hold it too,
 * and are not looked for). For a few sockets (check's listeners, watch's new connections): on a host
 * with tens of thousands of connections a full scan costs hundreds of milliseconds of readlink on
 * the main thread.
 */
export function findSomeOwners(inodes: ReadonlySet<number>, procRoot = '/proc'): Map<number, SocketOwner[]> {
  const owners = new Map<number, SocketOwner[]>();
  if (inodes.size === 0) return owners;
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((name) => DIGITS.test(name)).sort((a, b) => Number(a) - Number(b));
  } catch {
    return owners;
  }
  const namespaceOf = (pid: string) => {
    try {
      return readlinkSync(`${procRoot}/${pid}/ns/net`);
    } catch {
      return undefined;
    }
  };
  const ownNamespace = namespaceOf('self');
  const here = new Set(pids.filter((pid) => namespaceOf(pid) === ownNamespace));
  const elsewhere = pids.filter((pid) => !here.has(pid));
  for (const pid of [...here, ...elsewhere]) {
    const fdDir = `${procRoot}/${pid}/fd/`;
    let fds: string[];
    try {
      fds = readdirSync(fdDir);
    } catch {
      continue; // exited, or not ours to read
    }
    let owner: SocketOwner | undefined;
    for (const fd of fds) {
      const inode = socketInode(fdDir + fd);
      if (!inodes.has(inode)) continue;
      owner ??= { pid: Number(pid), command: readCommand(procRoot, pid) };
      const list = owners.get(inode);
      if (!list) owners.set(inode, [owner]);
      else if (!list.some((o) => o.pid === owner!.pid)) list.push(owner);
    }
    if (owners.size === inodes.size) break;
  }
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
