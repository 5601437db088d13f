// struct sockaddr_in / sockaddr_in6 inside a __kernel_sockaddr_storage (128 bytes).
// Ports and addresses are in network byte order; the family is host order.
const AF_INET = 2;
const AF_INET6 = 10;

export interface SocketAddress {
  family: 4 | 6;
  address: string;
  port: number;
}

export function decodeSockaddr(bytes: Buffer): SocketAddress | undefined {
  if (bytes.length < 2) return undefined;
  const family = bytes.readUInt16LE(0);
  if (family === AF_INET && bytes.length >= 8) {
    return { family: 4, port: bytes.readUInt16BE(2), address: [...bytes.subarray(4, 8)].join('.') };
  }
  if (family === AF_INET6 && bytes.length >= 24) {
    return { family: 6, port: bytes.readUInt16BE(2), address: formatIpv6(bytes.subarray(8, 24)) };
  }
  return undefined;
}

/** RFC 5952 text form: lower case, longest run of zero groups as "::", IPv4-mapped as ::ffff:a.b.c.d. */
export function formatIpv6(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${[...bytes.subarray(12, 16)].join('.')}`;
  }
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i += 1; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength && j - i >= 2) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}
