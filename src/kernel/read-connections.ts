// Reads the host-wide snapshot from the kernel: listening sockets first (four small sock_diag dumps),
// then every other TCP and MPTCP socket, streamed into the model (host-connections.ts) piece by piece
// while this thread reads the socket owners from /proc.
import { readSocketOwners } from '../sys/socket-owners.js';
import { ConnsBuilder, snapshotOf, type ConnsModel } from './conns-builder.js';
import type { ConnsSnapshot } from './host-connections.js';
import { STATES_WITH_OWNERS, TCP_LISTEN } from './inet-diag.js';
import { dumpBuffers, requestDump, socketInodes, streamDump } from './sock-diag.js';

export interface ReadConnectionsOptions {
  /** Look up owning processes in /proc (default true). */
  owners?: boolean;
  /**
   * Only listening sockets (and only their owners): what `check` needs, without the cost of every
   * connection and a /proc scan that names all of them.
   */
  listenersOnly?: boolean;
}

export interface ConnectionsReading {
  snapshot: ConnsSnapshot;
  /** A dump the kernel flagged as inconsistent (sockets came and went while it was read). */
  interrupted: boolean;
}

const LISTENING = 1 << TCP_LISTEN;
/** Every state with an owner but LISTEN: the listeners come from dumps of their own. */
const CONNECTED = STATES_WITH_OWNERS & ~LISTENING;

/** Every connection and listener, with their owners, as the model (kept as rows until shown). */
export async function readConnsModel(options: ReadConnectionsOptions = {}): Promise<ConnsModel> {
  // Listeners are few, and every other socket is matched against them: whole replies, first.
  const listening = (protocol: 'mptcp' | 'tcp', family: 4 | 6) => requestDump({ protocol, family, info: true, states: LISTENING });
  const [mptcp4, mptcp6, tcp4, tcp6] = await Promise.all([listening('mptcp', 4), listening('mptcp', 6), listening('tcp', 4), listening('tcp', 6)]);
  const builder = new ConnsBuilder();
  builder.addListeners('mptcp', mptcp4);
  builder.addListeners('mptcp', mptcp6);
  builder.addListeners('tcp', tcp4);
  builder.addListeners('tcp', tcp6);
  if (options.listenersOnly) {
    // Only their owners: no scan that names every connection's process.
    if (options.owners !== false) builder.setOwners(readSocketOwners(socketInodes([tcp4, tcp6], 'tcp', socketInodes([mptcp4, mptcp6], 'mptcp'))));
    return builder.finish();
  }
  // TCP before MPTCP: the subflows must be known when their connections are made. The first piece is
  // read on the thread pool while /proc is read below; the pieces are decoded once it is done.
  const buffers = dumpBuffers();
  const stream = (protocol: 'mptcp' | 'tcp', family: 4 | 6) =>
    streamDump({ protocol, family, info: true, states: CONNECTED }, buffers, protocol === 'tcp' ? (bytes) => builder.addTcp(bytes) : (bytes) => builder.addMptcp(bytes));
  const dumps = (async () => {
    await stream('tcp', 4);
    await stream('tcp', 6);
    await stream('mptcp', 4);
    await stream('mptcp', 6);
  })();
  // Keep a rejection from surfacing as unhandled while /proc is read below.
  dumps.catch(() => undefined);
  builder.setOwners(options.owners === false ? new Map() : readSocketOwners());
  await dumps;
  return builder.finish();
}

/** The same as views: every connection an object (for `check`'s listeners and anything small). */
export async function readHostConnections(options: ReadConnectionsOptions = {}): Promise<ConnectionsReading> {
  const model = await readConnsModel(options);
  return { snapshot: snapshotOf(model), interrupted: model.interrupted };
}
