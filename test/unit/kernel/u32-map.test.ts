// The typed-array map of tokens and IPv4 addresses behaves as a Map of numbers.
import { describe, expect, it } from 'vitest';
import { U32Map } from '../../../src/kernel/u32-map.js';

describe('U32Map', () => {
  it('keeps what a Map keeps, for keys across the 32-bit range, through growth', () => {
    const map = new U32Map(4);
    const reference = new Map<number, number>();
    const keys = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff];
    for (let i = 0; i < 5000; i++) keys.push(Math.floor(Math.random() * 0x100000000), i << 16);
    keys.forEach((key, i) => {
      map.set(key, i);
      reference.set(key, i);
    });
    expect(map.size).toBe(reference.size);
    for (const [key, value] of reference) expect(map.get(key)).toBe(value);
    expect(map.get(12345678)).toBe(reference.get(12345678) ?? -1);
  });

  it('overwrites a key, keeps a value of 0, and answers -1 for a key it does not have', () => {
    const map = new U32Map();
    map.set(7, 0);
    expect(map.get(7)).toBe(0);
    map.set(7, 9);
    expect(map.get(7)).toBe(9);
    expect(map.size).toBe(1);
    expect(map.get(8)).toBe(-1);
  });
});
