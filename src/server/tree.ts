// The synthetic, read-only tree. Nothing here touches the file system: every path a client names is
// normalised inside "/" ("/.." is "/", as in every FTP server) and then matched against this tree,
// so no name can reach outside it.
//
//   /                     directory
//   /probe/               <size> files (1M, 10M, 100M, 1G listed; any size up to the cap exists)
//   /probe/<size>.sha256  "<hex>  <size>\n", the digest of the file beside it
//   /upload/              write-only: STOR/APPE accepted, counted, hashed, discarded
import { formatSize, LISTED_SIZES, parseSize } from '../protocol/size.js';

export type TreeEntry =
  | { kind: 'dir'; path: string; name: string; writable: boolean }
  | { kind: 'probe'; path: string; name: string; size: number }
  | { kind: 'digest'; path: string; name: string; probeSize: number; probeName: string; size: number }
  | { kind: 'upload'; path: string; name: string };

/** Every file in the tree claims this modification time (deterministic, for MDTM and listings). */
export const TREE_MTIME = new Date(Date.UTC(2025, 0, 1, 0, 0, 0));

const MAX_NAME = 255;
const HEX_DIGEST_LENGTH = 64;

/** Normalises `argument` against `cwd` into an absolute path of segments; undefined for unnameable input. */
export function normalizePath(cwd: string, argument: string): string | undefined {
  // NUL and other control bytes never name anything here; refusing them early keeps logs clean too.
  if (/[\u0000-\u001f\u007f]/.test(argument) || argument.length > 1024) return undefined;
  const joined = argument.startsWith('/') ? argument : `${cwd}/${argument}`;
  const segments: string[] = [];
  for (const segment of joined.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

/** The contents of /probe/<name>.sha256 for a digest (sha256sum -c format). */
export function digestFileText(hex: string, probeName: string): string {
  return `${hex}  ${probeName}\n`;
}

export class SyntheticTree {
  constructor(private readonly maxProbeSize: number) {}

  /** The entry at an absolute normalised path, or undefined when nothing is there. */
  lookup(path: string): TreeEntry | undefined {
    const segments = path.split('/').filter(Boolean);
    if (segments.length === 0) return { kind: 'dir', path: '/', name: '/', writable: false };
    const [top, name, ...rest] = segments;
    if (rest.length > 0) return undefined;
    if (top === 'probe') {
      if (name === undefined) return { kind: 'dir', path: '/probe', name: 'probe', writable: false };
      return this.probeEntry(name);
    }
    if (top === 'upload') {
      if (name === undefined) return { kind: 'dir', path: '/upload', name: 'upload', writable: true };
      if (name.length > MAX_NAME) return undefined;
      return { kind: 'upload', path: `/upload/${name}`, name };
    }
    return undefined;
  }

  private probeEntry(name: string): TreeEntry | undefined {
    if (name.length > 64) return undefined;
    if (name.endsWith('.sha256')) {
      const probeName = name.slice(0, -'.sha256'.length);
      const probeSize = this.probeSize(probeName);
      if (probeSize === undefined) return undefined;
      const size = digestFileText('0'.repeat(HEX_DIGEST_LENGTH), probeName).length;
      return { kind: 'digest', path: `/probe/${name}`, name, probeSize, probeName, size };
    }
    const size = this.probeSize(name);
    return size === undefined ? undefined : { kind: 'probe', path: `/probe/${name}`, name, size };
  }

  private probeSize(name: string): number | undefined {
    const size = parseSize(name);
    return size !== undefined && size <= this.maxProbeSize ? size : undefined;
  }

  /** What a listing of `entry` shows: a directory's children, or the file itself. */
  children(entry: TreeEntry): TreeEntry[] {
    if (entry.kind !== 'dir') return [entry];
    if (entry.path === '/') return [this.lookup('/probe')!, this.lookup('/upload')!];
    if (entry.path === '/probe') {
      return LISTED_SIZES.filter((size) => size <= this.maxProbeSize).flatMap((size) => {
        const name = formatSize(size);
        return [this.lookup(`/probe/${name}`)!, this.lookup(`/probe/${name}.sha256`)!];
      });
    }
    return [];
  }
}

/** Byte size of a file entry (0 for directories and upload targets). */
export function entrySize(entry: TreeEntry): number {
  return entry.kind === 'probe' || entry.kind === 'digest' ? entry.size : 0;
}
