// The exchange behind selftest.loopback: our own MPTCP listener on 127.0.0.1 and our own client,
// 64 KiB each way, then TCP_IS_MPTCP sampled on both ends. Issue 7 replaces this file with a probe
// against the built-in `serve`.
import type net from 'node:net';
import type { LoopbackResult } from './types.js';

const PAYLOAD_BYTES = 64 * 1024;
const TIMEOUT_MS = 3_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Reads exactly `bytes` from the socket. */
function receive(socket: net.Socket, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received >= bytes) {
        socket.off('data', onData);
        socket.off('error', reject);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('end', () => received < bytes && reject(new Error(`connection closed after ${received} of ${bytes} bytes`)));
  });
}

export async function runLoopbackProbe(): Promise<LoopbackResult> {
  // Loaded here, not at the top: `check --only` without the selftest should not load sockets code.
  const [{ listenMptcp, reportAccepted }, { connectMptcp }] = await Promise.all([
    import('../src/net/listen.js'),
    import('../src/net/connect.js'),
  ]);
  const started = Date.now();
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0x6d);
  let serverState: LoopbackResult['server'] = { state: 'tcp', method: 'none' };
  let serverDone: Promise<void> = Promise.resolve();
  const accepted = new Set<net.Socket>();
  const listener = await listenMptcp({ host: '127.0.0.1', port: 0, backlog: 4 }, (socket) => {
    accepted.add(socket);
    socket.on('error', () => undefined);
    serverDone = receive(socket, PAYLOAD_BYTES).then(
      () =>
        new Promise<void>((resolve) => {
          socket.write(payload, () => {
            const report = reportAccepted(socket);
            if (report) serverState = { state: report.state, method: report.stateMethod };
            resolve();
          });
        }),
    );
  });
  try {
    return await withTimeout(
      (async () => {
        const connection = await connectMptcp({ host: '127.0.0.1', port: listener.port, timeoutMs: TIMEOUT_MS, family: 4 });
        try {
          connection.socket.on('error', () => undefined);
          const replied = receive(connection.socket, PAYLOAD_BYTES);
          connection.socket.write(payload);
          await replied;
          await serverDone;
          const report = connection.report();
          return {
            socket: connection.created.socket,
            ...(connection.created.reason ? { reasonText: report.socketReasonText } : {}),
            client: { state: report.state, method: report.stateMethod },
            server: serverState,
            bytes: PAYLOAD_BYTES,
            elapsedMs: Date.now() - started,
            subflows: report.subflows.total,
            address: `127.0.0.1:${listener.port}`,
          };
        } finally {
          connection.socket.destroy();
        }
      })(),
      TIMEOUT_MS,
      'loopback exchange',
    );
  } finally {
    // Destroy what we accepted so close() does not wait on a peer that never closes.
    for (const socket of accepted) socket.destroy();
    await withTimeout(listener.close(), 1_000, 'closing the loopback listener').catch(() => undefined);
  }
}
