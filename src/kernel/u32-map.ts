// A map from 32-bit unsigned keys (MPTCP tokens, IPv4 addresses) to non-negative integers, in two
// typed arrays (open addressing; the hash spreads keys that differ only in their high bits, as
// IPv4 addresses read in host order do). A JavaScript Map keeps a key above 2^30 as a heap number
// of its own: tens of thousands of random tokens would be tens of thousands of objects for the
// garbage collector to copy; here they are four bytes each, and no lookup allocates.

export class U32Map {
  private keys: Uint32Array;
  private values: Int32Array;
  private mask: number;
  private count = 0;

  constructor(expected = 64) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.keys = new Uint32Array(capacity);
    // A value is kept plus one: a slot of zeros (as allocated) is empty.
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The value of `key`, or -1 when it has none. */
  get(key: number): number {
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let slot = (Math.imul(key ^ (key >>> 16), 0x45d9f3b) ^ (key >>> 13)) & mask;
    for (;;) {
      const value = values[slot]!;
      if (value === 0) return -1;
      if (keys[slot] === key) return value - 1;
      slot = (slot + 1) & mask;
    }
  }

  /** Sets `key` to `value` (0 or more). */
  set(key: number, value: number): void {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let slot = (Math.imul(key ^ (key >>> 16), 0x45d9f3b) ^ (key >>> 13)) & mask;
    for (;;) {
      if (values[slot] === 0) {
        keys[slot] = key;
        values[slot] = value + 1;
        this.count += 1;
        return;
      }
      if (keys[slot] === key) {
        values[slot] = value + 1;
        return;
      }
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.values = new Int32Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    this.count = 0;
    for (let i = 0; i < keys.length; i++) if (values[i] !== 0) this.set(keys[i]!, values[i]! - 1);
  }
}
