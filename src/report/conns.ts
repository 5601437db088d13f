// Human report of `conns`: one summary line, the programs, the listeners, then every connection
// with its subflows. Padded columns, not `table`: a busy host lists tens of thousands of rows, which
// connsReportPieces hands out a few hundred at a time.
import type { ConnectionView, ConnsSnapshot, ConnsSummary, ListenerView, ProcessSummary } from '../kernel/host-connections.js';
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

export function summaryLine(snapshot: ConnsSummary): string {
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

/**
 * wrapText(text, width, indent, first), without its work for the common line that fits as it is:
 * wrapText collapses every run of white space to one space, so a text that already has single spaces
 * only (`regular`), and fits, comes back unchanged. Anything else (a command name with a tab, a long
 * IPv6 pair) goes through wrapText itself.
 */
function fitOrWrap(text: string, regular: boolean, width: number, indent: string, first: string): string {
  if (regular && first.length + text.length <= width) return first + text;
  return wrapText(text, width, indent, first);
}
/** White space other than a single space between two words (\s as wrapText splits on it). */
const IRREGULAR_SPACE = /[^\S ]|  |^ | $/;

/** One owners text per list (the lists are shared by every socket of a process), and whether its spaces are regular. */
class OwnersText {
  private readonly cache = new Map<readonly SocketOwner[], { text: string; regular: boolean }>();

  of(owners: readonly SocketOwner[]): { text: string; regular: boolean } {
    let entry = this.cache.get(owners);
    if (entry === undefined) {
      const text = formatOwners(owners);
      entry = { text, regular: !IRREGULAR_SPACE.test(text) };
      this.cache.set(owners, entry);
    }
    return entry;
  }
}

/** formatBytes, without its work for the counts below 1 KiB that most idle connections show. */
function bytesText(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : formatBytes(bytes);
}

/** Appends the lines of one connection to `out`, each at the section's indent. */
function connectionLines(c: ConnectionView, color: boolean, owners: OwnersText, out: string[]): void {
  const subflows = c.socket === 'mptcp' ? (c.subflowCount === 1 ? ', 1 subflow' : `, ${c.subflowCount} subflows`) : '';
  // The head line starts at the section's indent; only its continuation lines go deeper.
  // Only the program's name can bring irregular white space: every other part is made here, of
  // words joined by single spaces.
  const program = owners.of(c.processes);
  const head = `${formatEndpoint(c.local)} -> ${formatEndpoint(c.remote)} ${stateText(c, color)}${subflows}${c.accepted ? ', accepted' : ''}, ${program.text}`;
  out.push(`  ${fitOrWrap(head, program.regular, WIDTH - 2, '      ', '')}`);
  // The details, comma-separated (all made here: regular).
  let details = c.tcpState !== 'established' ? c.tcpState : '';
  if (c.token) details = details === '' ? `token ${c.token}` : `${details}, token ${c.token}`;
  if (c.bytesSent !== undefined) details = details === '' ? `sent ${bytesText(c.bytesSent)}` : `${details}, sent ${bytesText(c.bytesSent)}`;
  if (c.bytesReceived !== undefined) details = details === '' ? `received ${bytesText(c.bytesReceived)}` : `${details}, received ${bytesText(c.bytesReceived)}`;
  if (c.bytesRetransmitted) details = details === '' ? `retransmitted ${bytesText(c.bytesRetransmitted)}` : `${details}, retransmitted ${bytesText(c.bytesRetransmitted)}`;
  if (c.flags.length > 0) details = details === '' ? `flags ${c.flags.join(',')}` : `${details}, flags ${c.flags.join(',')}`;
  if (c.addAddrAccepted) details = details === '' ? `${c.addAddrAccepted} addresses accepted` : `${details}, ${c.addAddrAccepted} addresses accepted`;
  if (details !== '') out.push(`  ${fitOrWrap(details, true, WIDTH, '    ', '    ')}`);
  for (const s of c.subflows) {
    const ids = s.localId !== undefined ? ` id ${s.localId}/${s.remoteId ?? '?'}` : '';
    out.push(`      subflow ${formatEndpoint(s.local)} -> ${formatEndpoint(s.remote)} ${s.state}${ids} ${s.flags}${s.backup ? ' backup' : ''}`);
  }
}

/** Connections per piece of connsReportPieces: a few hundred lines, tens of kilobytes. */
const CONNECTIONS_PER_PIECE = 256;

/**
 * The report in pieces of whole lines, for a writer that ends each with a newline: joined with
 * newlines they are renderConns's text. A busy host lists tens of thousands of connections: they are
 * taken from `connections` (made one at a time, if it likes) a few hundred per piece, so neither
 * they nor the report sit in memory whole. `summary.totals.connections` says how many there are.
 */
export function* connsReportPieces(summary: ConnsSummary, connections: Iterable<ConnectionView>, options: { color: boolean }): Generator<string> {
  const { color } = options;
  const head: string[] = [summaryLine(summary)];
  if (summary.processes.length > 0) {
    head.push('', paint(color, 'bold', 'Programs'));
    for (const p of summary.processes) head.push(wrapText(processLine(p), WIDTH, '    ', '  '));
  }
  if (summary.listeners.length > 0) {
    head.push('', paint(color, 'bold', 'Listeners'));
    head.push(formatColumns(listenerRows(summary.listeners, color), { indent: '  ', right: [3, 4, 5, 6] }));
  }
  if (summary.totals.connections > 0) head.push('', paint(color, 'bold', 'Connections'));
  yield head.join('\n');
  const owners = new OwnersText();
  let lines: string[] = [];
  let inPiece = 0;
  for (const c of connections) {
    connectionLines(c, color, owners, lines);
    if (++inPiece === CONNECTIONS_PER_PIECE) {
      yield lines.join('\n');
      lines = [];
      inPiece = 0;
    }
  }
  if (inPiece > 0) yield lines.join('\n');
}

export function renderConns(snapshot: ConnsSnapshot, options: { color: boolean }): string {
  return [...connsReportPieces(snapshot, snapshot.connections, options)].join('\n');
}
