// The bytes of /probe/<size>: a deterministic pseudo-random stream where byte p depends only on p,
// so /probe/1M is the first MiB of /probe/1G and REST can start anywhere.
//
// Speed matters (curl on loopback reads at GB/s): we generate one 1 MiB block once with
// xorshift128+, and block i of the stream is that block rotated by a splitmix-derived offset.
// Sending a block is then two subarray writes of one shared Buffer: no per-client generation and
// no per-client memory beyond the socket's own buffers.
export const BLOCK_SIZE = 1 << 20;

let baseBlock: Buffer | undefined;
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * xorshift128+ with a fixed seed, the textbook 64-bit form computed on 32-bit halves: BigInt took
 * about 100 ms for the 128 Ki words, which every `check` self-test paid; this takes a few.
 * Word i is written little-endian (the digests depend on it; see generateBaseBlockReference in the tests).
 */
function generateBaseBlock(): Buffer {
  let s0hi = 0x9e3779b9;
  let s0lo = 0x7f4a7c15;
  let s1hi = 0xbf58476d;
  let s1lo = 0x1ce4e5b9;
  const block = Buffer.allocUnsafeSlow(BLOCK_SIZE);
  // Direct 32-bit stores when the host is little-endian (every MPTCP platform Node runs on here).
  const words = littleEndian ? new Uint32Array(block.buffer, block.byteOffset, BLOCK_SIZE / 4) : undefined;
  for (let offset = 0; offset < BLOCK_SIZE; offset += 8) {
    let xhi = s0hi;
    let xlo = s0lo;
    const yhi = s1hi;
    const ylo = s1lo;
    s0hi = yhi;
    s0lo = ylo;
    // x ^= x << 23
    xhi = (xhi ^ ((xhi << 23) | (xlo >>> 9))) >>> 0;
    xlo = (xlo ^ (xlo << 23)) >>> 0;
    // s1 = x ^ y ^ (x >> 17) ^ (y >> 26)
    s1hi = (xhi ^ yhi ^ (xhi >>> 17) ^ (yhi >>> 26)) >>> 0;
    s1lo = (xlo ^ ylo ^ ((xlo >>> 17) | (xhi << 15)) ^ ((ylo >>> 26) | (yhi << 6))) >>> 0;
    // word = s1 + y (mod 2^64)
    const lo = s1lo + ylo;
    const hi = (s1hi + yhi + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    if (words) {
      words[offset >>> 2] = lo >>> 0;
      words[(offset >>> 2) + 1] = hi;
    } else {
      block.writeUInt32LE(lo >>> 0, offset);
      block.writeUInt32LE(hi, offset + 4);
    }
  }
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
