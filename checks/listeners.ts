// listeners.mptcp: which listening services accept MPTCP and which plain TCP only, from the
// kernel's socket table (sock_diag). Information for the reader, never a failure: a service that
// does not need MPTCP is no fault of the host.
import type { Check, CheckOutcome } from './types.js';

export interface ListenerFact {
  kind: 'mptcp' | 'tcp';
  /** "10.0.0.1:21", "[::]:22" */
  endpoint: string;
  /** Program names holding it (empty when not visible). */
  programs: string[];
}

export type ListenerReader = () => Promise<ListenerFact[]>;

/**
 * The real reader: sock_diag dumps of listening sockets only, then one owner of each, looked for in
 * this network namespace's processes first (findSomeOwners): the programs are what the check
 * reports, and a full /proc scan costs hundreds of milliseconds on a host with many connections.
 */
export const readListeners: ListenerReader = async () => {
  const [{ readHostConnections }, { formatEndpoint }, { findSomeOwners }] = await Promise.all([
    import('../src/kernel/read-connections.js'),
    import('../src/kernel/host-connections.js'),
    import('../src/sys/socket-owners.js'),
  ]);
  const { snapshot } = await readHostConnections({ listenersOnly: true, owners: false });
  const owners = findSomeOwners(new Set(snapshot.listeners.map((l) => l.inode).filter((inode) => inode !== 0)));
  return snapshot.listeners.map((l) => ({
    kind: l.kind,
    endpoint: formatEndpoint(l.local),
    programs: [...new Set((owners.get(l.inode) ?? []).map((p) => p.command))],
  }));
};

function describe(facts: ListenerFact[]): string {
  const names = facts.map((f) => `${f.programs[0] ?? '?'} ${f.endpoint}`);
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

export function makeListenersCheck(read: ListenerReader): Check {
  return {
    id: 'listeners.mptcp',
    title: 'MPTCP listeners',
    async run(): Promise<CheckOutcome> {
      let facts: ListenerFact[];
      try {
        facts = await read();
      } catch (error) {
        return { status: 'skip', summary: `cannot list listening sockets: ${(error as Error).message}`, evidence: [] };
      }
      const mptcp = facts.filter((f) => f.kind === 'mptcp');
      const tcp = facts.filter((f) => f.kind === 'tcp');
      const evidence = facts.map((f) => `${f.kind === 'mptcp' ? 'MPTCP    ' : 'plain TCP'} ${f.endpoint} ${f.programs.join(',') || '(program not visible)'}`);
      const parts = [
        mptcp.length === 0 ? 'no MPTCP listeners' : `${mptcp.length} MPTCP (${describe(mptcp)})`,
        tcp.length === 0 ? 'no plain TCP listeners' : `${tcp.length} plain TCP only (${describe(tcp)})`,
      ];
      const advice = tcp.length > 0 && mptcp.length === 0
        ? '; services accept MPTCP when started under `mptcpize run` or built with IPPROTO_MPTCP'
        : '';
      return { status: 'pass', summary: `listening: ${parts.join('; ')}${advice}`, evidence };
    },
  };
}

export const listenersCheck: Check = makeListenersCheck(readListeners);
