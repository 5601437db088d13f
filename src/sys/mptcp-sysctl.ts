// One net.mptcp.* sysctl of the calling process's namespace as a number (no program run).
import { readSysctl } from './sysctl.js';

/** The numeric value of net.mptcp.<name>, or undefined when it cannot be read. */
export async function readMptcpSysctl(name: string): Promise<number | undefined> {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`not a sysctl name: ${name}`);
  const text = await readSysctl(`net.mptcp.${name}`);
  const value = text === undefined || text === '' ? NaN : Number(text);
  return Number.isFinite(value) ? value : undefined;
}
