// Reads the host-wide snapshot: four sock_diag dumps (MPTCP and TCP, IPv4 and IPv6) on the thread
// pool while this thread reads socket owners from /proc, then the pure model (host-connections.ts).
import { readSocketOwners, type SocketOwner } from '../sys/socket-owners.js';
import { buildConnsSnapshot, type ConnsSnapshot } from './host-connections.js';
import { TCP_LISTEN, type DiagSocket } from './inet-diag.js';
import { dumpSockets } from './sock-diag.js';

export interface ReadConnectionsOptions {
  /** Look up owning processes in /proc (default true). */
  owners?: boolean;
  /**
   * Only listening sockets (and only their owners): what `check` needs, without the cost of every
   * connection and a /proc scan that names all of them.
   */
  listenersOnly?: boolean;
  /** Raw dump replies, by name ('mptcp4', 'tcp6', ...), for fixtures. */
  capture?: (name: string, bytes: Buffer) => void;
}

export interface ConnectionsReading {
  snapshot: ConnsSnapshot;
  /** A dump the kernel flagged as inconsistent (sockets came and went while it was read). */
  interrupted: boolean;
  sockets: { mptcp: number; tcp: number };
}

export async function readHostConnections(options: ReadConnectionsOptions = {}): Promise<ConnectionsReading> {
  const states = options.listenersOnly ? 1 << TCP_LISTEN : undefined;
  const dump = (protocol: 'mptcp' | 'tcp', family: 4 | 6) =>
    dumpSockets({ protocol, family, info: true, ...(states !== undefined ? { states } : {}) }, options.capture ? (bytes) => options.capture!(`${protocol}${family}`, bytes) : undefined);
  const pending = Promise.all([dump('mptcp', 4), dump('mptcp', 6), dump('tcp', 4), dump('tcp', 6)]);
  // Keep a rejection from surfacing as unhandled while /proc is read below.
  pending.catch(() => undefined);
  // Listeners are few: dump first, then look up only their inodes. Connections can be tens of
  // thousands: read /proc while the dumps run on the thread pool.
  let owners: Map<number, SocketOwner[]> | undefined = options.owners === false ? new Map() : options.listenersOnly ? undefined : readSocketOwners();
  const [mptcp4, mptcp6, tcp4, tcp6] = await pending;
  const mptcp: DiagSocket[] = [...mptcp4.sockets, ...mptcp6.sockets];
  const tcp: DiagSocket[] = [...tcp4.sockets, ...tcp6.sockets];
  owners ??= readSocketOwners(new Set([...mptcp, ...tcp].map((s) => s.inode).filter((inode) => inode !== 0)));
  return {
    snapshot: buildConnsSnapshot({ mptcp, tcp, owners }),
    interrupted: [mptcp4, mptcp6, tcp4, tcp6].some((d) => d.interrupted),
    sockets: { mptcp: mptcp.length, tcp: tcp.length },
  };
}
