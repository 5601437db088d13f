// Human report of `conns`: one summary line, the programs, the listeners, then every connection
// with its subflows. Padded columns, not `table`: a busy host lists tens of thousands of rows.
import type { ConnectionView, ConnsSnapshot, ListenerView, ProcessSummary } from '../kernel/host-connections.js';
import { formatEndpoint } from '../kernel/host-connections.js';
import type { SocketOwner } from '../sys/socket-owners.js';
import { formatColumns } from './columns.js';
import { paint } from './paint.js';
import { formatBytes } from './units.js';
import { wrapText } from './wrap.js';

const WIDTH = 80;
const MAX_PEERS = 3;

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function listPeers(peers: readonly string[]): string {
  if (peers.length <= MAX_PEERS) return peers.join(', ');
  return `${peers.slice(0, MAX_PEERS).join(', ')} and ${peers.length - MAX_PEERS} more`;
}

export function formatOwners(owners: readonly SocketOwner[]): string {
  if (owners.length === 0) return '-';
  const first = owners[0]!;
  return owners.length === 1 ? `${first.command}/${first.pid}` : `${first.command}/${first.pid} +${owners.length - 1}`;
}

function listenerPhrase(id: string): string {
  const [kind, ...rest] = id.split(' ');
  return `${rest.join(' ')} ${kind === 'mptcp' ? 'MPTCP' : 'plain TCP'}`;
}

export function summaryLine(snapshot: ConnsSnapshot): string {
  const t = snapshot.totals;
  const connections = t.connections === 0
    ? 'no MPTCP connections'
    : `${plural(t.connections, 'connection')} (${t.mptcp} MPTCP, ${t.fallbacks} fell back), ${plural(t.subflows, 'subflow')}`;
  return `${connections}; listeners ${t.mptcpListeners} MPTCP, ${t.tcpListeners} TCP`;
}

/** "vsftpd (pids 812, 813): listener 10.1.100.2:21 MPTCP; 40 connections, 12 fell back; peers ..." */
export function processLine(p: ProcessSummary): string {
  const pids = p.pids.length === 1 ? `pid ${p.pids[0]}` : `pids ${p.pids.slice(0, 4).join(', ')}${p.pids.length > 4 ? ', ...' : ''}`;
  const parts: string[] = [];
  if (p.listeners.length > 0) parts.push(`${p.listeners.length === 1 ? 'listener' : 'listeners'} ${p.listeners.map(listenerPhrase).join(', ')}`);
  if (p.connections > 0) {
    parts.push(`${plural(p.connections, 'connection')}, ${p.fallbacks} fell back, ${plural(p.subflows, 'subflow')}`);
    parts.push(`peers ${listPeers(p.peers)}`);
  } else {
    parts.push('no connections');
  }
  return `${p.command} (${pids}): ${parts.join('; ')}`;
}

function listenerRows(listeners: readonly ListenerView[], color: boolean): string[][] {
  const header = ['LISTENER', 'KIND', 'PROCESS', 'CONNS', 'MPTCP', 'FELL BACK', 'SUBFLOWS'];
  const rows = listeners.map((l) => [
    formatEndpoint(l.local),
    l.kind === 'mptcp' ? paint(color, 'green', 'MPTCP') : paint(color, 'yellow', 'TCP'),
    formatOwners(l.processes),
    String(l.connections),
    l.kind === 'mptcp' ? String(l.mptcp) : '-',
    l.kind === 'mptcp' ? (l.fallbacks > 0 ? paint(color, 'red', String(l.fallbacks)) : '0') : '-',
    l.kind === 'mptcp' ? String(l.subflows) : '-',
  ]);
  return [header, ...rows];
}

function stateText(c: ConnectionView, color: boolean): string {
  if (c.state === 'mptcp') return paint(color, 'green', 'mptcp');
  return paint(color, 'red', c.socket === 'tcp' ? 'fallback (plain TCP)' : c.fallback === 'handshake' ? 'fallback (handshake)' : 'fallback');
}

function connectionLines(c: ConnectionView, color: boolean): string[] {
  const head = `${formatEndpoint(c.local)} -> ${formatEndpoint(c.remote)}`;
  const subflows = c.socket === 'mptcp' ? `, ${plural(c.subflowCount, 'subflow')}` : '';
  // The head line starts at the section's indent; only its continuation lines go deeper.
  const lines = [wrapText(`${head}  ${stateText(c, color)}${subflows}${c.accepted ? ', accepted' : ''}, ${formatOwners(c.processes)}`, WIDTH - 2, '      ', '')];
  const details: string[] = [];
  if (c.tcpState !== 'established') details.push(c.tcpState);
  if (c.token) details.push(`token ${c.token}`);
  if (c.bytesSent !== undefined) details.push(`sent ${formatBytes(c.bytesSent)}`);
  if (c.bytesReceived !== undefined) details.push(`received ${formatBytes(c.bytesReceived)}`);
  if (c.bytesRetransmitted) details.push(`retransmitted ${formatBytes(c.bytesRetransmitted)}`);
  if (c.flags.length > 0) details.push(`flags ${c.flags.join(',')}`);
  if (c.addAddrAccepted) details.push(`${c.addAddrAccepted} addresses accepted`);
  if (details.length > 0) lines.push(wrapText(details.join(', '), WIDTH, '    '));
  for (const s of c.subflows) {
    const ids = s.localId !== undefined ? ` id ${s.localId}/${s.remoteId ?? '?'}` : '';
    lines.push(`    subflow ${formatEndpoint(s.local)} -> ${formatEndpoint(s.remote)} ${s.state}${ids} ${s.flags}${s.backup ? ' backup' : ''}`);
  }
  return lines;
}

export function renderConns(snapshot: ConnsSnapshot, options: { color: boolean }): string {
  const { color } = options;
  const out: string[] = [summaryLine(snapshot)];
  if (snapshot.processes.length > 0) {
    out.push('', paint(color, 'bold', 'Programs'));
    for (const p of snapshot.processes) out.push(wrapText(processLine(p), WIDTH, '    ', '  '));
  }
  if (snapshot.listeners.length > 0) {
    out.push('', paint(color, 'bold', 'Listeners'));
    out.push(formatColumns(listenerRows(snapshot.listeners, color), { indent: '  ', right: [3, 4, 5, 6] }));
  }
  if (snapshot.connections.length > 0) {
    out.push('', paint(color, 'bold', 'Connections'));
    for (const c of snapshot.connections) for (const line of connectionLines(c, color)) out.push(`  ${line}`);
  }
  return out.join('\n');
}
