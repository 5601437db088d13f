// Shared bits of the lab's own self-tests (not part of the public API).
import type { Lab } from './lab.js';
import type { LabProcess } from './process.js';

export interface SendLine {
  local?: string;
  answer?: string;
  error?: string;
  seconds?: number;
  report?: { socket: string; state: string; subflows: { total: number } };
}

export interface SinkLine {
  remote: string;
  bytes: number;
  seconds: number;
  mbit: number;
}

/** Starts test/lab/scripts/sink-server.ts in the server namespace on `port` (any address). */
export async function startSink(lab: Lab, port: number, extra: string[] = []): Promise<LabProcess> {
  const sink = lab.spawnNode('server', ['test/lab/scripts/sink-server.ts', '--host', '::', '--port', String(port), ...extra]);
  await sink.waitForOutput(/listening \d+/, 15_000);
  return sink;
}

/** Runs test/lab/scripts/send-client.ts in the client namespace; returns its JSON line. */
export async function send(lab: Lab, args: string[]): Promise<SendLine> {
  const r = await lab.runNode('client', ['test/lab/scripts/send-client.ts', ...args], { timeoutMs: 30_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as SendLine;
  } catch {
    throw new Error(`send-client printed no JSON: ${r.stdout} ${r.stderr}`);
  }
}

/** The sink's JSON lines so far. */
export function sinkLines(sink: LabProcess): SinkLine[] {
  return sink.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as SinkLine);
}
