// A sysctl.d drop-in that makes fixes survive a reboot (systemd-sysctl / procps read /etc/sysctl.d/*.conf).
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.js';

export const DEFAULT_DROPIN_PATH = '/etc/sysctl.d/90-mptcp-doctor.conf';

const HEADER = '# Written by mptcp-doctor fix: settings that MPTCP needs on this host (see mptcp-doctor check).';

/** Merges `settings` into the drop-in text: existing keys are replaced in place, new ones appended. */
export function mergeDropin(existing: string | undefined, settings: ReadonlyArray<{ key: string; value: string }>): string {
  const lines = existing ? existing.replace(/\n$/, '').split('\n') : [HEADER];
  const pending = new Map(settings.map((s) => [s.key, s.value]));
  const merged = lines.map((line) => {
    const match = /^\s*-?\s*([^#;=\s][^=]*?)\s*=/.exec(line);
    const key = match?.[1];
    if (key && pending.has(key)) {
      const value = pending.get(key)!;
      pending.delete(key);
      return `${key} = ${value}`;
    }
    return line;
  });
  for (const [key, value] of pending) merged.push(`${key} = ${value}`);
  return `${merged.join('\n')}\n`;
}

/** The drop-in's current text; undefined when it does not exist yet. */
export async function readDropin(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
    return undefined;
  }
}

export async function writeSysctlDropin(path: string, settings: ReadonlyArray<{ key: string; value: string }>): Promise<void> {
  await writeFileAtomic(path, mergeDropin(await readDropin(path), settings));
}
