// One net.mptcp.* sysctl of the calling process's namespace, read from /proc/sys (no program run).
import { readFile } from 'node:fs/promises';

/** The numeric value of /proc/sys/net/mptcp/<name>, or undefined when it cannot be read. */
export async function readMptcpSysctl(name: string): Promise<number | undefined> {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`not a sysctl name: ${name}`);
  try {
    const value = Number((await readFile(`/proc/sys/net/mptcp/${name}`, 'utf8')).trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
