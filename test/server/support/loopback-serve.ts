// One in-process serve on 127.0.0.1 per suite (host namespace, loopback only, no host changes),
// with its event log and the clients the tests opened, all closed after the suite.
import { afterAll, beforeAll } from 'vitest';
import { startServer, type ProbeServer, type ServerEvent, type ServerOptions } from '../../../src/server/index.js';
import { RawClient } from './raw-client.js';

export interface LoopbackServe {
  /** The server (started in beforeAll). */
  readonly server: ProbeServer;
  /** Every event it logged, in order. */
  readonly events: ServerEvent[];
  /** A client logged in anonymously (plain TCP, or MPTCP with `mptcp`). */
  login(mptcp?: boolean): Promise<RawClient>;
  /** A client connected, before the greeting. */
  connect(): Promise<RawClient>;
}

/** Starts serve with `options` (port 0) before the suite's tests; stops it and its clients after. */
export function useLoopbackServe(options: Partial<ServerOptions>): LoopbackServe {
  let server: ProbeServer | undefined;
  const events: ServerEvent[] = [];
  const clients: RawClient[] = [];
  const opened = (client: RawClient) => {
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    server = await startServer({ port: 0, ...options, logger: (event) => events.push(event) });
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await server?.close(1000);
  });
  const started = () => {
    if (!server) throw new Error('serve: not started (beforeAll failed or skipped)');
    return server;
  };
  return {
    get server() {
      return started();
    },
    events,
    login: async (mptcp = false) => opened(await RawClient.login(started().port, '127.0.0.1', mptcp)),
    connect: async () => opened(await RawClient.connect(started().port)),
  };
}
