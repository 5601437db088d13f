// The machine a run was made on: figures mean little without it.
import os from 'node:os';

export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  node: string;
  date: string;
  /** 1-minute load average when the run started and ended: a busy machine makes noisy figures. */
  loadAtStart: number;
  loadAtEnd?: number;
  hostname: string;
}

export function describeMachine(): MachineDescription {
  const cpus = os.cpus();
  const kernel = `${os.type()} ${os.release()} ${os.machine()}`;
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    kernel,
    node: process.version,
    date: new Date().toISOString(),
    loadAtStart: os.loadavg()[0]!,
    hostname: os.hostname(),
  };
}
