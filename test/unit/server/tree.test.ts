import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { renderListing } from '../../../src/server/listing.js';
import { formatSize, GIB, MIB, parseSize } from '../../../src/protocol/size.js';
import { normalizePath, SyntheticTree } from '../../../src/server/tree.js';

describe('sizes', () => {
  test.each([
    ['1M', MIB], ['10M', 10 * MIB], ['1G', GIB], ['64G', 64 * GIB], ['4096', 4096], ['1k', 1024], ['2MiB', 2 * MIB],
  ])('%s is %d bytes', (text, bytes) => expect(parseSize(text)).toBe(bytes));
  test.each(['', 'M', '1.5G', '-1', '1X', '99999999999999999T', '1 M'])('%j is not a size', (text) => {
    expect(parseSize(text)).toBeUndefined();
  });
  test('formatSize picks the largest exact unit', () => {
    expect([MIB, 10 * MIB, GIB, 1536 * 1024, 1000].map(formatSize)).toEqual(['1M', '10M', '1G', '1536K', '1000']);
  });
});

describe('synthetic tree', () => {
  const tree = new SyntheticTree(64 * GIB);

  test('probe files, digest files, directories and upload targets', () => {
    expect(tree.lookup('/probe/10M')).toMatchObject({ kind: 'probe', size: 10 * MIB });
    expect(tree.lookup('/probe/12345')).toMatchObject({ kind: 'probe', size: 12345 });
    expect(tree.lookup('/probe/10M.sha256')).toMatchObject({ kind: 'digest', probeSize: 10 * MIB, size: 64 + 2 + 3 + 1 });
    expect(tree.lookup('/upload/x.bin')).toMatchObject({ kind: 'upload', name: 'x.bin' });
    expect(tree.lookup('/')).toMatchObject({ kind: 'dir' });
    expect(tree.lookup('/probe/65G')).toBeUndefined(); // over the cap
    expect(tree.lookup('/etc/passwd')).toBeUndefined();
    expect(tree.lookup('/probe/1M/x')).toBeUndefined();
  });

  test('.. never leaves the root; control characters name nothing', () => {
    expect(normalizePath('/probe', '../../../etc/passwd')).toBe('/etc/passwd');
    expect(tree.lookup(normalizePath('/probe', '../../../etc/passwd')!)).toBeUndefined();
    expect(normalizePath('/', '..')).toBe('/');
    expect(normalizePath('/probe', '10M')).toBe('/probe/10M');
    expect(normalizePath('/', 'probe/\u0000')).toBeUndefined();
  });

  test('property: every normalised path is absolute and has no . or .. segment', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('..', '.', '', 'probe', 'upload', 'etc', '1M', '%2e%2e', '\\..'), { maxLength: 12 }), (parts) => {
        const path = normalizePath('/probe', parts.join('/'));
        return path !== undefined && path.startsWith('/') && !path.split('/').some((s) => s === '.' || s === '..');
      }),
    );
  });

  test('listing of /probe: the four standard sizes with digests, in ls -l and MLSD form', () => {
    const children = tree.children(tree.lookup('/probe')!);
    expect(children.map((c) => c.name)).toEqual(['1M', '1M.sha256', '10M', '10M.sha256', '100M', '100M.sha256', '1G', '1G.sha256']);
    const list = renderListing('LIST', children);
    expect(list.split('\r\n')[0]).toMatch(/^-r--r--r-- +1 ftp +ftp +1048576 Jan 01  2025 1M$/);
    expect(renderListing('MLSD', children).split('\r\n')[2]).toBe('type=file;size=10485760;modify=20250101000000;perm=r; 10M');
  });
});
