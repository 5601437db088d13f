// Host facts read from procfs and /boot: kernel release and build configuration, processes.
import { readdir, readFile } from 'node:fs/promises';
import type { KernelConfig, ProcessInfo } from './host.js';

export async function readKernelRelease(): Promise<string> {
  return (await readFile('/proc/sys/kernel/osrelease', 'utf8')).trim();
}

/** CONFIG_* lines that mention MPTCP ("CONFIG_MPTCP=y"); "# CONFIG_MPTCP is not set" gives 'n'. */
export function parseKernelConfig(text: string): Record<string, string> {
  const options: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_\w*MPTCP\w*)=(.*)$/.exec(line);
    if (set) options[set[1]!] = set[2]!.replace(/^"|"$/g, '');
    const unset = /^# (CONFIG_\w*MPTCP\w*) is not set/.exec(line);
    if (unset) options[unset[1]!] = 'n';
  }
  return options;
}

/** /proc/config.gz (CONFIG_IKCONFIG_PROC) or /boot/config-RELEASE, whichever is readable first. */
export async function readKernelConfig(release: string): Promise<KernelConfig | undefined> {
  try {
    const compressed = await readFile('/proc/config.gz');
    const { gunzipSync } = await import('node:zlib');
    return { source: '/proc/config.gz', options: parseKernelConfig(gunzipSync(compressed).toString('utf8')) };
  } catch {
    // not built with IKCONFIG_PROC, or not readable: try /boot
  }
  const path = `/boot/config-${release}`;
  try {
    return { source: path, options: parseKernelConfig(await readFile(path, 'utf8')) };
  } catch {
    return undefined;
  }
}

/** Every process's pid and comm (the PID namespace is shared with the host's, network namespaces are not). */
export async function readProcesses(): Promise<ProcessInfo[]> {
  const entries = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const processes = await Promise.all(
    entries.map(async (pid) => {
      try {
        return { pid: Number(pid), name: (await readFile(`/proc/${pid}/comm`, 'utf8')).trim() };
      } catch {
        return undefined; // exited while we listed
      }
    }),
  );
  return processes.filter((p): p is ProcessInfo => p !== undefined);
}
