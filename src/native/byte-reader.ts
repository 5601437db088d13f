// Reads little-endian kernel structs field by field, only where the kernel's bytes reach.
export class ByteReader {
  constructor(private readonly bytes: Buffer) {}

  get length(): number {
    return this.bytes.length;
  }

  has(offset: number, size: number): boolean {
    return offset + size <= this.bytes.length;
  }

  u8(offset: number): number | undefined {
    return this.has(offset, 1) ? this.bytes.readUInt8(offset) : undefined;
  }

  u16(offset: number): number | undefined {
    return this.has(offset, 2) ? this.bytes.readUInt16LE(offset) : undefined;
  }

  u32(offset: number): number | undefined {
    return this.has(offset, 4) ? this.bytes.readUInt32LE(offset) : undefined;
  }

  /** A 64-bit counter as a number (byte counts stay far below 2^53). */
  u64(offset: number): number | undefined {
    return this.has(offset, 8) ? Number(this.bytes.readBigUInt64LE(offset)) : undefined;
  }

  /** A 64-bit sequence number, exact, as a decimal string (they start at random 64-bit values). */
  u64String(offset: number): string | undefined {
    return this.has(offset, 8) ? this.bytes.readBigUInt64LE(offset).toString() : undefined;
  }
}

/** Drops keys whose value is undefined, so a decoded struct lists exactly the fields the kernel gave. */
export function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
