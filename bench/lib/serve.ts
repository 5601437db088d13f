// Our own server (`mptcp-doctor serve`) in a lab namespace, with limits high enough for the
// capacity runs, and its peak RSS read from /proc (VmHWM) while it still runs.
import { readFileSync } from 'node:fs';
import type { Lab, LabProcess, NamespaceRef } from '../../test/lab/index.js';
import { cliArgv } from './cli.js';

export interface RunningServe {
  process: LabProcess;
  url: (path?: string) => string;
  /** VmHWM of the serve process (bytes), undefined once it is gone */
  peakRssBytes: () => number | undefined;
  stop: () => Promise<void>;
}

export async function startServe(lab: Lab, port: number, ns: NamespaceRef = 'server', host = '127.0.0.1'): Promise<RunningServe> {
  // `ip netns exec` execs node in place: the pid we hold is the server's own.
  const process = await lab.spawnListening(ns, cliArgv([
    'serve', '--listen', `${host}:${port}`, '--max-clients', '2000', '--max-per-address', '2000',
  ]), port, 15_000);
  return {
    process,
    url: (path = '') => `ftp://${host}:${port}/${path.replace(/^\//, '')}`,
    peakRssBytes: () => vmHwm(process.pid),
    stop: async () => {
      await process.stop();
    },
  };
}

/** CPU time (user + system, ms) a live process has used so far, from /proc/PID/stat; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    // USER_HZ is 100 on every Linux architecture Node runs on.
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/** Peak resident set size of a live process, from /proc/PID/status (VmHWM, in kB). */
export function vmHwm(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
