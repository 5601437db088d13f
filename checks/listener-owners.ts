// Which programs hold a few sockets (the listening ones), found without reading every descriptor
// of every process: /proc/PID/fd is scanned for processes in this network namespace first (where
// its listening sockets almost always live), and the scan stops once every socket has an owner.
// On a host with tens of thousands of open connections a full scan costs hundreds of milliseconds
// of readlink, on the main thread, while every other check waits (bench/analysis.md).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { SocketOwner } from '../src/sys/socket-owners.js';

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

function linkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/**
 * At least one owner of each socket in `inodes` that a process we may inspect holds (all of them
 * hold it after a fork: the others are not looked for once one is found). Processes in our own
 * network namespace come first, lowest pid first.
 */
export function findSomeOwners(inodes: ReadonlySet<number>, procRoot = '/proc'): Map<number, SocketOwner[]> {
  const owners = new Map<number, SocketOwner[]>();
  if (inodes.size === 0) return owners;
  let pids: number[];
  try {
    pids = readdirSync(procRoot).filter((name) => name.charCodeAt(0) >= 48 && name.charCodeAt(0) <= 57).map(Number).sort((a, b) => a - b);
  } catch {
    return owners;
  }
  const ownNamespace = linkOrUndefined(`${procRoot}/self/ns/net`);
  const here: number[] = [];
  const elsewhere: number[] = [];
  for (const pid of pids) (linkOrUndefined(`${procRoot}/${pid}/ns/net`) === ownNamespace ? here : elsewhere).push(pid);
  for (const pid of [...here, ...elsewhere]) {
    scanProcess(procRoot, pid, inodes, owners);
    if (owners.size === inodes.size) break;
  }
  return owners;
}

function scanProcess(procRoot: string, pid: number, inodes: ReadonlySet<number>, owners: Map<number, SocketOwner[]>): void {
  const fdDir = `${procRoot}/${pid}/fd`;
  let fds: string[];
  try {
    fds = readdirSync(fdDir);
  } catch {
    return; // exited, or not ours to read
  }
  let command: string | undefined;
  for (const fd of fds) {
    const target = linkOrUndefined(`${fdDir}/${fd}`);
    if (!target?.startsWith('socket:[')) continue;
    const inode = Number(SOCKET_LINK.exec(target)?.[1]);
    if (!inodes.has(inode)) continue;
    command ??= readCommand(procRoot, pid);
    const list = owners.get(inode);
    if (!list) owners.set(inode, [{ pid, command }]);
    else if (!list.some((o) => o.pid === pid)) list.push({ pid, command });
  }
}

function readCommand(procRoot: string, pid: number): string {
  try {
    return readFileSync(`${procRoot}/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}
