// Directory listings of synthetic entries: LIST (ls -l style, what curl and lftp parse), NLST
// (names only) and MLSD (RFC 3659 facts). Lines end in CRLF as RFC 959 asks for ASCII listings.
import { entrySize, TREE_MTIME, type TreeEntry } from './tree.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** YYYYMMDDHHMMSS in UTC, for MDTM and MLSD's modify fact. */
export function ftpTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function permissions(entry: TreeEntry): string {
  if (entry.kind === 'dir') return entry.writable ? 'd-wx-wx-wx' : 'dr-xr-xr-x';
  return '-r--r--r--';
}

export function listLine(entry: TreeEntry): string {
  const date = `${MONTHS[TREE_MTIME.getUTCMonth()]} ${String(TREE_MTIME.getUTCDate()).padStart(2, '0')}  ${TREE_MTIME.getUTCFullYear()}`;
  const links = entry.kind === 'dir' ? 2 : 1;
  return `${permissions(entry)} ${String(links).padStart(3)} ftp      ftp      ${String(entrySize(entry)).padStart(12)} ${date} ${entry.name}\r\n`;
}

export function mlsdLine(entry: TreeEntry): string {
  const modify = ftpTimestamp(TREE_MTIME);
  if (entry.kind === 'dir') return `type=dir;modify=${modify};perm=${entry.writable ? 'cel' : 'el'}; ${entry.name}\r\n`;
  return `type=file;size=${entrySize(entry)};modify=${modify};perm=r; ${entry.name}\r\n`;
}

export function renderListing(kind: 'LIST' | 'NLST' | 'MLSD', entries: TreeEntry[]): string {
  const line = kind === 'LIST' ? listLine : kind === 'MLSD' ? mlsdLine : (entry: TreeEntry) => `${entry.name}\r\n`;
  return entries.map(line).join('');
}
