// What `conns` shows: the connections the filters select, and everything summed over them (each
// listener's connections, fallbacks, subflows and peers, the per-program summary, the totals).
// It works on the table's rows of numbers; a view is made only for a connection being shown.
import type { ConnsModel } from './conns-builder.js';
import { ReusedView, Row, type ConnectionTable } from './connection-table.js';
import { peerMatcher, type ConnectionView, type ConnsFilter, type ConnsSummary, type ListenerView, type ProcessSummary } from './host-connections.js';

export interface ConnsSelection extends ConnsSummary {
  /** How many connections were selected. */
  count: number;
  /** The selected connections' views, made one at a time, in the table's order. */
  connections(): Generator<ConnectionView>;
  /**
   * The same, but one view object overwritten for each connection: valid only until the next one.
   * For writers that are done with a view before they ask for the next (the text and JSON reports).
   */
  transientConnections(): Generator<ConnectionView>;
}

/**
 * The connections `filter` selects, and the listeners: by port and pid, and, when the filter is
 * about connections (peer, state), only those that accepted a selected connection. Every figure is
 * summed over the selection, so it describes what is shown. An invalid --peer throws ConnsFilterError.
 */
export function selectConnections(model: ConnsModel, filter: ConnsFilter): ConnsSelection {
  const { table } = model;
  const peer = filter.peer !== undefined ? peerMatcher(filter.peer) : undefined;
  const rows = new Int32Array(table.length);
  let count = 0;
  if (filter.port === undefined && filter.pid === undefined && peer === undefined && filter.state === undefined) {
    for (let i = 0; i < table.length; i++) rows[i] = i;
    count = table.length;
  } else {
    // Each owner list and each address is tested once, not once per connection.
    const pidMatch = new Int8Array(table.ownerLists.length);
    const peerMatch = new Int8Array(table.names.length);
    for (let i = 0; i < table.length; i++) {
      if (filter.port !== undefined && table.localPort[i] !== filter.port && table.remotePort[i] !== filter.port) continue;
      if (filter.pid !== undefined) {
        const list = table.owners[i]!;
        if (list < 0) continue;
        if (pidMatch[list] === 0) pidMatch[list] = table.ownerLists[list]!.some((p) => p.pid === filter.pid) ? 1 : 2;
        if (pidMatch[list] !== 1) continue;
      }
      if (peer !== undefined) {
        const name = table.remoteName[i]!;
        if (peerMatch[name] === 0) peerMatch[name] = peer(table.names[name]!) ? 1 : 2;
        if (peerMatch[name] !== 1) continue;
      }
      if (filter.state !== undefined && ((table.flags[i]! & Row.fellBack) !== 0 ? 'fallback' : 'mptcp') !== filter.state) continue;
      rows[count++] = i;
    }
  }
  const connectionOnly = peer !== undefined || filter.state !== undefined;
  let listeners = model.listeners;
  if (filter.port !== undefined || filter.pid !== undefined || connectionOnly) {
    const withConnections = new Set<string>();
    if (connectionOnly) {
      for (let k = 0; k < count; k++) {
        const listener = table.listener[rows[k]!]!;
        if (listener >= 0) withConnections.add(table.listenerIds[listener]!);
      }
    }
    listeners = listeners.filter((l) =>
      (filter.port === undefined || l.local.port === filter.port) &&
      (filter.pid === undefined || l.processes.some((p) => p.pid === filter.pid)) &&
      (!connectionOnly || withConnections.has(l.id)));
  }
  return {
    count,
    ...summarize(table, rows, count, listeners),
    *connections() {
      for (let k = 0; k < count; k++) yield table.view(rows[k]!);
    },
    *transientConnections() {
      const reused = new ReusedView();
      for (let k = 0; k < count; k++) yield table.view(rows[k]!, reused);
    },
  };
}

interface ProgramEntry {
  pids: Set<number>;
  listeners: Set<string>;
  connections: number;
  mptcp: number;
  fallbacks: number;
  subflows: number;
  peers: Set<string>;
}

/**
 * Listener counts (MPTCP listeners: from the selected rows; plain TCP ones keep what they
 * accepted), the per-program summary and the totals. Rows are summed per owner list first (one per
 * process, shared by all its sockets), then per program.
 */
function summarize(table: ConnectionTable, rows: Int32Array, count: number, listenerList: readonly ListenerView[]): ConnsSummary {
  const listeners = listenerList.map((l) => (l.kind === 'mptcp' ? { ...l, connections: 0, mptcp: 0, fallbacks: 0, handshakeFallbacks: 0, subflows: 0, peers: [] as string[] } : { ...l }));
  const byId = new Map(listeners.map((l) => [l.id, l]));
  const listenerOf = table.listenerIds.map((id) => byId.get(id));
  const listenerPeers: (Set<number> | undefined)[] = [];
  const lists = table.ownerLists.length;
  const listConnections = new Float64Array(lists);
  const listMptcp = new Float64Array(lists);
  const listSubflows = new Float64Array(lists);
  const listPeers: (Set<number> | undefined)[] = [];
  let mptcp = 0;
  let subflows = 0;
  for (let k = 0; k < count; k++) {
    const i = rows[k]!;
    const flags = table.flags[i]!;
    const fellBack = (flags & Row.fellBack) !== 0;
    const subflowCount = table.subflowCount[i]!;
    const remote = table.remoteName[i]!;
    if (!fellBack) mptcp += 1;
    subflows += subflowCount;
    const listenerIndex = table.listener[i]!;
    const listener = listenerIndex >= 0 ? listenerOf[listenerIndex] : undefined;
    if (listener) {
      listener.connections += 1;
      if (fellBack) listener.fallbacks += 1;
      else listener.mptcp += 1;
      if (fellBack && (flags & Row.fellBackLater) === 0) listener.handshakeFallbacks += 1;
      listener.subflows += subflowCount;
      (listenerPeers[listenerIndex] ??= new Set()).add(remote);
    }
    const list = table.owners[i]!;
    if (list >= 0) {
      listConnections[list] += 1;
      if (!fellBack) listMptcp[list] += 1;
      listSubflows[list] += subflowCount;
      (listPeers[list] ??= new Set()).add(remote);
    }
  }
  const names = (set: Set<number>) => [...set].map((n) => table.names[n]!);
  listenerPeers.forEach((peers, index) => {
    if (peers) listenerOf[index]!.peers = names(peers).sort();
  });

  const programs = new Map<string, ProgramEntry>();
  const program = (command: string) => {
    let entry = programs.get(command);
    if (!entry) {
      entry = { pids: new Set(), listeners: new Set(), connections: 0, mptcp: 0, fallbacks: 0, subflows: 0, peers: new Set() };
      programs.set(command, entry);
    }
    return entry;
  };
  for (const l of listeners) {
    for (const owner of l.processes) {
      const entry = program(owner.command);
      entry.pids.add(owner.pid);
      entry.listeners.add(l.id);
    }
  }
  for (let list = 0; list < lists; list++) {
    const connections = listConnections[list]!;
    if (connections === 0) continue;
    const owners = table.ownerLists[list]!;
    const peers = names(listPeers[list]!);
    // A socket shared by several processes of one program (fork) counts once for that program.
    for (const command of new Set(owners.map((p) => p.command))) {
      const entry = program(command);
      for (const p of owners) if (p.command === command) entry.pids.add(p.pid);
      entry.connections += connections;
      entry.mptcp += listMptcp[list]!;
      entry.fallbacks += connections - listMptcp[list]!;
      entry.subflows += listSubflows[list]!;
      for (const address of peers) entry.peers.add(address);
    }
  }
  const processes: ProcessSummary[] = [...programs.entries()]
    .map(([command, e]) => ({
      command,
      pids: [...e.pids].sort((a, b) => a - b),
      listeners: [...e.listeners],
      connections: e.connections,
      mptcp: e.mptcp,
      fallbacks: e.fallbacks,
      subflows: e.subflows,
      peers: [...e.peers].sort(),
    }))
    .sort((a, b) => b.connections - a.connections || a.command.localeCompare(b.command));

  return {
    listeners,
    processes,
    totals: {
      connections: count,
      mptcp,
      fallbacks: count - mptcp,
      subflows,
      mptcpListeners: listeners.filter((l) => l.kind === 'mptcp').length,
      tcpListeners: listeners.filter((l) => l.kind === 'tcp').length,
    },
  };
}
