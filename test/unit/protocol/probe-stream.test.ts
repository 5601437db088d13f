// The probe stream must be deterministic by offset (REST, digests) and the same on every run.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { computeDigest } from '../../../src/server/digest-cache.js';
import { BLOCK_SIZE, blockRotation, probeBlock, probeBytes, probeSegments } from '../../../src/protocol/probe-stream.js';

describe('probe stream', () => {
  test('pinned: the first bytes and the 10M digest never change (probe clients compare them)', async () => {
    expect(probeBytes(0, 16).toString('hex')).toBe('67ddb6cf07862167da5231262e62834e');
    expect(await computeDigest(10 << 20)).toBe('5e58116764eb1b6a9475eeabf3cb88bf18fe114d23e3c5f34699090c740a7477');
  });

  test('any range equals the same slice of a longer read (REST from any offset)', () => {
    const whole = probeBytes(0, 3 * BLOCK_SIZE + 17);
    fc.assert(
      fc.property(fc.nat(whole.length), fc.nat(whole.length), (a, b) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        return probeBytes(start, end).equals(whole.subarray(start, end));
      }),
      { numRuns: 200 },
    );
  });

  test('segments are at most one block long and cover the range exactly', () => {
    const segments = [...probeSegments(123, 5 * BLOCK_SIZE + 9)];
    expect(segments.every((s) => s.length > 0 && s.length <= BLOCK_SIZE)).toBe(true);
    expect(segments.reduce((sum, s) => sum + s.length, 0)).toBe(5 * BLOCK_SIZE + 9 - 123);
  });

  test('blocks differ from each other (rotations spread) and bytes look random', () => {
    const rotations = new Set(Array.from({ length: 1000 }, (_, i) => blockRotation(i)));
    expect(rotations.size).toBeGreaterThan(990);
    const sample = probeBytes(0, 1 << 16);
    const counts = new Array(256).fill(0);
    for (const byte of sample) counts[byte] += 1;
    // 65536 bytes over 256 values: 256 each on average; a broken generator gives zeros or spikes.
    expect(Math.min(...counts)).toBeGreaterThan(150);
    expect(Math.max(...counts)).toBeLessThan(380);
  });
});

// The original BigInt form of the generator: the 32-bit implementation must give the same bytes.
function generateBaseBlockReference(): Buffer {
  const mask = (1n << 64n) - 1n;
  let s0 = 0x9e3779b97f4a7c15n;
  let s1 = 0xbf58476d1ce4e5b9n;
  const block = Buffer.allocUnsafe(1 << 20);
  for (let i = 0; i < (1 << 20) / 8; i += 1) {
    let x = s0;
    const y = s1;
    s0 = y;
    x = (x ^ (x << 23n)) & mask;
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    block.writeBigUInt64LE((s1 + y) & mask, i * 8);
  }
  return block;
}

test('the 32-bit xorshift128+ equals the 64-bit BigInt reference', () => {
  expect(probeBlock().equals(generateBaseBlockReference())).toBe(true);
});

