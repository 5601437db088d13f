// Small questions several checks ask of the host's addresses.
import net from 'node:net';
import type { Family, MptcpEndpoint, NetworkInterface } from '../src/sys/host.js';

/** True when `address` lies in prefix/length (IPv4 or IPv6). */
export function inPrefix(address: string, prefix: string, length: number): boolean {
  const family = net.isIP(address);
  if (family === 0 || net.isIP(prefix) !== family) return false;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  const list = new net.BlockList();
  list.addSubnet(prefix, length, type);
  return list.check(address, type);
}

/** The interface that holds `address`, if any. */
export function interfaceOf(interfaces: NetworkInterface[], address: string): NetworkInterface | undefined {
  return interfaces.find((i) => i.addresses.some((a) => a.address === address));
}

/** The device an endpoint's subflows use: its `dev`, else the interface holding its address. */
export function endpointDevice(endpoint: MptcpEndpoint, interfaces: NetworkInterface[]): string | undefined {
  return endpoint.dev ?? interfaceOf(interfaces, endpoint.address)?.name;
}

/** Addresses worth an endpoint: global scope, usable (not tentative), on an up, non-loopback interface. */
export function globalAddresses(interfaces: NetworkInterface[]): Array<{ address: string; family: Family; dev: string }> {
  return interfaces
    .filter((i) => i.up && !i.loopback)
    .flatMap((i) =>
      i.addresses
        .filter((a) => a.scope === 'global' && !a.tentative)
        .map((a) => ({ address: a.address, family: a.family, dev: i.name })),
    );
}

export function describeEndpoint(endpoint: MptcpEndpoint): string {
  const parts = [`id ${endpoint.id}`, ...endpoint.flags];
  if (endpoint.dev) parts.push(`dev ${endpoint.dev}`);
  if (endpoint.port) parts.push(`port ${endpoint.port}`);
  return `${endpoint.address} (${parts.join(', ')})`;
}
