// The bytes of /probe/<size>: a deterministic pseudo-random stream where byte p depends only on p,
// so /probe/1M is the first MiB of /probe/1G and REST can start anywhere.
//
// Speed matters (curl on loopback reads at GB/s): we generate one 1 MiB block once with
// xorshift128+, and block i of the stream is that block rotated by a splitmix-derived offset.
// Sending a block is then two subarray writes of one shared Buffer: no per-client generation and
// no per-client memory beyond the socket's own buffers.
export const BLOCK_SIZE = 1 << 20;

let baseBlock: Buffer | undefined;

/**
 * xorshift128+ with a fixed seed. BigInt is slow, but this runs once per process for 128 Ki words
 * (a few tens of milliseconds), and the textbook 64-bit form is easy to check.
 */
function generateBaseBlock(): Buffer {
  const mask = (1n << 64n) - 1n;
  let s0 = 0x9e3779b97f4a7c15n;
  let s1 = 0xbf58476d1ce4e5b9n;
  const words = new BigUint64Array(BLOCK_SIZE / 8);
  for (let i = 0; i < words.length; i += 1) {
    let x = s0;
    const y = s1;
    s0 = y;
    x = (x ^ (x << 23n)) & mask;
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    words[i] = (s1 + y) & mask;
  }
  // Little-endian on every platform Node runs MPTCP on; the digest depends on it, so pin it.
  const block = Buffer.allocUnsafe(BLOCK_SIZE);
  for (let i = 0; i < words.length; i += 1) block.writeBigUInt64LE(words[i]!, i * 8);
  return block;
}

export function probeBlock(): Buffer {
  baseBlock ??= generateBaseBlock();
  return baseBlock;
}

/** splitmix32 of the block index: the rotation of block `index` (deterministic, well spread). */
export function blockRotation(index: number): number {
  let z = (index + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return (z >>> 0) & (BLOCK_SIZE - 1);
}

/**
 * The stream's bytes [start, end) as subarrays of the shared block, in order, each at most
 * BLOCK_SIZE long. Callers must not modify them.
 */
export function* probeSegments(start: number, end: number): Generator<Buffer> {
  const block = probeBlock();
  let position = start;
  while (position < end) {
    const index = Math.floor(position / BLOCK_SIZE);
    const within = position - index * BLOCK_SIZE;
    const blockEnd = Math.min(end, (index + 1) * BLOCK_SIZE);
    // Block `index` is base[r..] followed by base[..r]: byte k of the block is base[(k + r) % BLOCK].
    let from = (within + blockRotation(index)) & (BLOCK_SIZE - 1);
    let remaining = blockEnd - position;
    while (remaining > 0) {
      const take = Math.min(remaining, BLOCK_SIZE - from);
      yield block.subarray(from, from + take);
      remaining -= take;
      position += take;
      from = 0;
    }
  }
}

/** The stream's bytes [start, end) copied into one Buffer (tests and small reads only). */
export function probeBytes(start: number, end: number): Buffer {
  return Buffer.concat([...probeSegments(start, end)]);
}
