// The exchange behind selftest.loopback: a real probe (src/probe) of the built-in server
// (src/server), both in this process on 127.0.0.1: an FTP login, an EPSV download verified by its
// SHA-256, and the server's own view of the connections (SITE MPTCP). Whatever removes MPTCP on
// this host, even on loopback, shows up here as it would on a real path.
import type { LoopbackResult } from './types.js';

const PROBE_BYTES = 256 * 1024;
const TIMEOUT_MS = 5_000;

export async function runLoopbackProbe(): Promise<LoopbackResult> {
  // Loaded here, not at the top: `check --only` without the selftest should not load the FTP code.
  const [{ startServer }, { computeDigest }, { runMode }] = await Promise.all([
    import('../src/server/server.js'),
    import('../src/server/digest-cache.js'),
    import('../src/probe/run-mode.js'),
  ]);
  const started = Date.now();
  const server = await startServer({ host: '127.0.0.1', port: 0, maxClients: 2, idleTimeoutMs: TIMEOUT_MS });
  try {
    const run = await runMode({
      target: { host: '127.0.0.1', port: server.port, user: 'anonymous', password: 'selftest@', security: 'none', family: 4 },
      mode: 'epsv',
      size: PROBE_BYTES,
      upload: false,
      timeouts: { connectMs: TIMEOUT_MS, replyMs: TIMEOUT_MS, idleMs: TIMEOUT_MS, runMs: TIMEOUT_MS },
      // Loopback has one path: no endpoint can add a subflow, so none is expected.
      pathManager: { endpoints: [] },
      // Our own server, in this process: no need to ask what it is, nor to download the digest.
      farEnd: { serve: true, digest: async () => computeDigest(PROBE_BYTES) },
    });
    // The kind (an errno code, 'timeout', an FTP failure) tells the check whether lo itself is at fault.
    if (run.error) throw Object.assign(new Error(`${run.error.stage}: ${run.error.message}`), { code: run.error.kind });
    const control = run.connections.find((c) => c.role === 'control');
    const data = run.connections.find((c) => c.role === 'data' && c.purpose === 'transfer');
    if (!control || !data) throw new Error('the probe made no data connection');
    const transfer = run.transfers[0];
    if (transfer?.matched === false) throw new Error('the downloaded bytes did not match their SHA-256');
    const clientState = [control, data].find((c) => c.samples.at(-1)?.state !== 'mptcp')?.samples.at(-1)?.state ?? 'mptcp';
    const serverViews = [control.server, data.server].filter((v) => v !== undefined);
    const serverState = serverViews.find((v) => v.state !== 'mptcp')?.state ?? (serverViews.length > 0 ? 'mptcp' : 'tcp');
    return {
      socket: control.socket,
      ...(control.socketReason ? { reasonText: control.socketReason } : {}),
      client: { state: clientState, method: control.report?.stateMethod ?? 'samples' },
      server: { state: serverState, method: 'SITE MPTCP' },
      bytes: transfer?.bytes ?? 0,
      elapsedMs: Date.now() - started,
      subflows: Math.max(...control.samples.map((s) => s.subflows)),
      address: `127.0.0.1:${server.port}`,
      verdict: { status: run.verdict.status, cause: run.verdict.cause },
    };
  } finally {
    await server.close(0);
  }
}
