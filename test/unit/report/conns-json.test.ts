// `conns --json` written in pieces is JSON.stringify(report, null, 2), byte for byte.
import { describe, expect, it } from 'vitest';
import { jsonPieces } from '../../../src/report/conns-json.js';

const joined = (value: Record<string, unknown>, key: string) => [...jsonPieces(value, key)].join('\n');

function* made<T>(items: T[]): Generator<T> {
  yield* items;
}

describe('jsonPieces', () => {
  const element = (i: number) => ({ id: i, name: `c${i}\n"quoted"`, nested: { list: [i, { deep: true }], empty: [], none: {} }, skipped: undefined });
  const many = Array.from({ length: 700 }, (_, i) => element(i));

  it.each([
    ['several pieces of elements', { schema: 's', filter: {}, connections: many, totals: { n: 700 }, last: false }],
    ['one element', { connections: [element(1)], after: 'x' }],
    ['none', { schema: 's', connections: [], after: [1, 2] }],
    ['the array last', { before: { a: 1 }, connections: [element(1), element(2)] }],
    ['the array first', { connections: [element(3)], b: null }],
    ['values JSON leaves out, and null in an array', { a: undefined, f: () => 1, connections: [undefined, 1, 'two'], z: 0 }],
    ['nothing at all', {}],
    ['an array that is not streamed', { other: [1, 2, 3], connections: 'not an array' }],
  ])('%s', (_, value) => {
    expect(joined(value as Record<string, unknown>, 'connections')).toBe(JSON.stringify(value, null, 2));
  });

  it('takes the elements from a generator, one at a time, as if they were an array', () => {
    const value = { schema: 's', connections: many, end: true };
    expect(joined({ ...value, connections: made(many) }, 'connections')).toBe(JSON.stringify(value, null, 2));
    expect(joined({ connections: made([]) }, 'connections')).toBe(JSON.stringify({ connections: [] }, null, 2));
  });

  it('writes a long array in pieces of whole lines', () => {
    const pieces = [...jsonPieces({ connections: many }, 'connections')];
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.every((p) => !p.startsWith('\n') && !p.endsWith('\n'))).toBe(true);
  });
});
