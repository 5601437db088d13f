// The in-kernel path manager's endpoints and limits over generic netlink (the mptcp_pm family's
// GET_ADDR dump and GET_LIMITS, what `ip mptcp endpoint show` and `ip mptcp limits show` send),
// without starting `ip`: the readiness audit reads them on every run.
import { readFileSync, readdirSync } from 'node:fs';
import { endianness } from 'node:os';
import { netlinkRequest } from '../native/netlink.js';
import type { EndpointFlag, MptcpEndpoint, MptcpLimits } from '../sys/host.js';
import { encodeGenericPayload, splitGenericPayload, type GenericFamily } from './generic-netlink.js';
import { resolveMptcpPmFamily } from './mptcp-event-stream.js';
import { attributeMap, attributeUint, encodeMessage, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, replyMessages } from './netlink-frame.js';

// linux/mptcp_pm.h (uapi)
const MPTCP_PM_CMD_GET_ADDR = 3;
const MPTCP_PM_CMD_GET_LIMITS = 6;
const MPTCP_PM_ATTR_ADDR = 1;
const MPTCP_PM_ATTR_RCV_ADD_ADDRS = 2;
const MPTCP_PM_ATTR_SUBFLOWS = 3;
const ADDR_ATTR_FAMILY = 1;
const ADDR_ATTR_ID = 2;
const ADDR_ATTR_ADDR4 = 3;
const ADDR_ATTR_ADDR6 = 4;
const ADDR_ATTR_PORT = 5;
const ADDR_ATTR_FLAGS = 6;
const ADDR_ATTR_IF_IDX = 7;
const AF_INET = 2;
const AF_INET6 = 10;

/** MPTCP_PM_ADDR_FLAG_* bits, in order; 'laminar' is 6.18's. */
const FLAG_BITS: Array<[number, EndpointFlag]> = [
  [1 << 0, 'signal'],
  [1 << 1, 'subflow'],
  [1 << 2, 'backup'],
  [1 << 3, 'fullmesh'],
  [1 << 4, 'implicit'],
  [1 << 5, 'laminar'],
];

export function encodeGetEndpointsRequest(family: GenericFamily): Buffer {
  return encodeMessage(family.id, NLM_F_REQUEST | NLM_F_DUMP, encodeGenericPayload(MPTCP_PM_CMD_GET_ADDR, family.version, []));
}

export function encodeGetLimitsRequest(family: GenericFamily): Buffer {
  return encodeMessage(family.id, NLM_F_REQUEST | NLM_F_ACK, encodeGenericPayload(MPTCP_PM_CMD_GET_LIMITS, family.version, []));
}

function formatIpv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // The longest run of zero groups becomes "::" (RFC 5952), as `ip` prints it.
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j += 1;
    if (j - i > best.length && j - i > 1) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

/** NLA_U16 in host byte order (the kernel's nla_put_u16), not network order. */
function hostU16(value: Buffer): number {
  return endianness() === 'LE' ? value.readUInt16LE(0) : value.readUInt16BE(0);
}

/** Decodes the GET_ADDR dump; `nameOf` turns an interface index into its name. */
export function decodeEndpoints(bytes: Buffer, family: GenericFamily, nameOf: (index: number) => string | undefined): MptcpEndpoint[] {
  const { messages } = replyMessages(bytes, 'MPTCP endpoints');
  const endpoints: MptcpEndpoint[] = [];
  for (const message of messages) {
    if (message.type !== family.id) continue;
    const nested = attributeMap(splitGenericPayload(message.payload)?.attributes ?? Buffer.alloc(0)).get(MPTCP_PM_ATTR_ADDR);
    if (!nested) continue;
    const fields = attributeMap(nested);
    const addressFamily = attributeUint(fields.get(ADDR_ATTR_FAMILY) ?? Buffer.alloc(0));
    const v4 = fields.get(ADDR_ATTR_ADDR4);
    const v6 = fields.get(ADDR_ATTR_ADDR6);
    let address: string;
    if (addressFamily === AF_INET && v4 && v4.length >= 4) address = [...v4.subarray(0, 4)].join('.');
    else if (addressFamily === AF_INET6 && v6 && v6.length >= 16) address = formatIpv6(v6.subarray(0, 16));
    else continue;
    const flags = attributeUint(fields.get(ADDR_ATTR_FLAGS) ?? Buffer.alloc(0)) ?? 0;
    const port = fields.get(ADDR_ATTR_PORT);
    const index = fields.get(ADDR_ATTR_IF_IDX);
    const dev = index && index.length >= 4 ? nameOf(index.readInt32LE(0)) : undefined;
    endpoints.push({
      id: attributeUint(fields.get(ADDR_ATTR_ID) ?? Buffer.alloc(0)) ?? 0,
      address,
      family: addressFamily === AF_INET ? 4 : 6,
      ...(port && port.length >= 2 && hostU16(port) !== 0 ? { port: hostU16(port) } : {}),
      ...(dev ? { dev } : {}),
      flags: FLAG_BITS.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name),
    });
  }
  return endpoints;
}

export function decodeLimits(bytes: Buffer, family: GenericFamily): MptcpLimits {
  const { messages } = replyMessages(bytes, 'MPTCP limits');
  for (const message of messages) {
    if (message.type !== family.id) continue;
    const attributes = attributeMap(splitGenericPayload(message.payload)?.attributes ?? Buffer.alloc(0));
    const subflows = attributeUint(attributes.get(MPTCP_PM_ATTR_SUBFLOWS) ?? Buffer.alloc(0));
    const accepted = attributeUint(attributes.get(MPTCP_PM_ATTR_RCV_ADD_ADDRS) ?? Buffer.alloc(0));
    if (subflows !== undefined && accepted !== undefined) return { subflows, addAddrAccepted: accepted };
  }
  throw new Error('the kernel sent no MPTCP limits');
}

/** Interface names by index, from /sys/class/net (this network namespace's, as `ip` sees it). */
function interfaceNames(): (index: number) => string | undefined {
  const names = new Map<number, string>();
  try {
    for (const name of readdirSync('/sys/class/net')) {
      try {
        names.set(Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8')), name);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /sys: endpoints are listed without their device
  }
  return (index) => names.get(index);
}

/** Endpoints and limits in one family lookup and two requests. */
export async function readPathManager(): Promise<{ endpoints: MptcpEndpoint[]; limits: MptcpLimits }> {
  const family = await resolveMptcpPmFamily();
  const [endpoints, limits] = await Promise.all([
    netlinkRequest('generic', encodeGetEndpointsRequest(family)).then((bytes) => decodeEndpoints(bytes, family, interfaceNames())),
    netlinkRequest('generic', encodeGetLimitsRequest(family)).then((bytes) => decodeLimits(bytes, family)),
  ]);
  return { endpoints, limits };
}
