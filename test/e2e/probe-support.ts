// Shared by the probe scenarios: run our CLI's probe in the client namespace, start serve in the server's.
import type { Lab } from '../lab/index.js';
import type { ProbeResult } from '../../src/probe/probe.js';

export interface ProbeOutcome {
  exitCode: number;
  result: ProbeResult;
  stderr: string;
}

export async function probe(lab: Lab, url: string, args: string[] = [], timeoutMs = 90_000): Promise<ProbeOutcome> {
  const run = await lab.runNode('client', ['probe', url, '--json', ...args], { timeoutMs });
  let result: ProbeResult & { error?: { code: string; message: string } };
  try {
    result = JSON.parse(run.stdout) as typeof result;
  } catch {
    throw new Error(`probe printed no JSON (exit ${run.exitCode}): ${run.stderr || run.stdout}`);
  }
  // --json's failure object: the probe could not run, there is no result to look at.
  if (result.error) throw new Error(`probe could not run (exit ${run.exitCode}, ${result.error.code}): ${result.error.message}`);
  return { exitCode: run.exitCode ?? -1, result, stderr: run.stderr };
}

/** Starts `mptcp-doctor serve` in the server namespace on the server's address; returns its ftp:// URL. */
export async function startServe(lab: Lab, port: number, extra: string[] = []): Promise<{ url: string; stop(): Promise<void> }> {
  const address = lab.addresses.server.v4;
  const process = await lab.spawnListening('server', lab.cliArgv(['serve', '--listen', `${address}:${port}`, ...extra]), port, 15_000);
  return { url: `ftp://${address}:${port}/`, stop: async () => { await process.stop(); } };
}

export function controlOf(result: ProbeResult, run = 0) {
  return result.connections.find((c) => c.run === run && c.role === 'control')!;
}

export function transferDataOf(result: ProbeResult, run = 0) {
  return result.connections.find((c) => c.run === run && c.role === 'data' && c.purpose === 'transfer');
}

export function maxSubflows(connection: { samples: Array<{ subflows: number }> } | undefined): number {
  return Math.max(0, ...(connection?.samples.map((s) => s.subflows) ?? []));
}
