// The mptcp_pm generic netlink family's events (linux/mptcp.h, linux/mptcp_pm.h since 6.7): what
// the kernel's path manager announces about connections and subflows, decoded attribute by
// attribute; an attribute a kernel does not send is simply absent.
import { formatIpv6 } from '../native/decode-sockaddr.js';
import { splitGenericPayload } from './generic-netlink.js';
import { attributeMap, attributeUint, type NetlinkMessage } from './netlink-frame.js';

export const MPTCP_PM_NAME = 'mptcp_pm';
export const MPTCP_PM_EV_GRP_NAME = 'mptcp_pm_events';

export const MPTCP_EVENT_TYPES = {
  1: 'created',
  2: 'established',
  3: 'closed',
  6: 'announced',
  7: 'removed',
  10: 'sub_established',
  11: 'sub_closed',
  13: 'sub_priority',
  15: 'listener_created', // 6.2
  16: 'listener_closed',
} as const;

export type MptcpEventType = (typeof MPTCP_EVENT_TYPES)[keyof typeof MPTCP_EVENT_TYPES] | 'unknown';

const ATTR = {
  TOKEN: 1, FAMILY: 2, LOC_ID: 3, REM_ID: 4, SADDR4: 5, SADDR6: 6, DADDR4: 7, DADDR6: 8, SPORT: 9, DPORT: 10,
  BACKUP: 11, ERROR: 12, FLAGS: 13, TIMEOUT: 14, IF_IDX: 15, RESET_REASON: 16, RESET_FLAGS: 17, SERVER_SIDE: 18,
} as const;

const AF_INET6 = 10;

/** MP_TCPRST reason codes, RFC 8684 section 3.6. */
export const RESET_REASONS: Record<number, string> = {
  0: 'unspecified error',
  1: 'MPTCP-specific error',
  2: 'lack of resources',
  3: 'administratively prohibited',
  4: 'too much outstanding data',
  5: 'unacceptable performance',
  6: 'middlebox interference',
};

export function describeResetReason(code: number): string {
  return RESET_REASONS[code] ?? `reason ${code} (not in RFC 8684)`;
}

/** MPTCP_PM_EV_FLAG_DENY_JOIN_ID0: the peer asked for no MP_JOIN to its initial address (RFC 8684 3.1). */
export const EVENT_FLAG_DENY_JOIN_ID0 = 1;
/** MPTCP_PM_EV_FLAG_SERVER_SIDE: newer kernels say "server side" with this flag as well as the attribute. */
export const EVENT_FLAG_SERVER_SIDE = 2;

export interface MptcpEvent {
  type: MptcpEventType;
  /** The genetlink command, the kernel's event number. */
  code: number;
  /** The connection's token on this host (mptcp_info's token): what ties events to connections. */
  token?: number;
  family?: 4 | 6;
  localAddress?: string;
  remoteAddress?: string;
  localPort?: number;
  remotePort?: number;
  localId?: number;
  remoteId?: number;
  backup?: boolean;
  /** The subflow's socket error (sk_err) when the kernel saw one: an errno number. */
  error?: number;
  /** The peer's MP_TCPRST reason on a reset subflow (sub_closed). */
  resetReason?: number;
  resetReasonText?: string;
  /** MP_TCPRST's transient flag: the peer may accept a new subflow on the same path later. */
  resetTransient?: boolean;
  flags?: number;
  denyJoinId0?: boolean;
  /** Announcement timeout (seconds). */
  timeout?: number;
  interfaceIndex?: number;
  /** created/established: this host accepted the connection. */
  serverSide?: boolean;
}

function ipv4(value: Buffer): string {
  return `${value[0]}.${value[1]}.${value[2]}.${value[3]}`;
}

/** One event message of the mptcp_pm family (`familyId` from the controller); undefined for others. */
export function decodeMptcpEvent(message: NetlinkMessage, familyId: number): MptcpEvent | undefined {
  if (message.type !== familyId) return undefined;
  const generic = splitGenericPayload(message.payload);
  if (!generic) return undefined;
  const code = generic.command;
  const event: MptcpEvent = { type: (MPTCP_EVENT_TYPES as Record<number, MptcpEventType>)[code] ?? 'unknown', code };
  const a = attributeMap(generic.attributes);
  const uint = (type: number) => {
    const value = a.get(type);
    return value ? attributeUint(value) : undefined;
  };
  // Ports travel in network byte order (nla_put_be16); everything else in host order.
  const port = (type: number) => {
    const value = a.get(type);
    return value && value.length >= 2 ? value.readUInt16BE(0) : undefined;
  };
  event.token = uint(ATTR.TOKEN);
  const family = uint(ATTR.FAMILY);
  if (family !== undefined) event.family = family === AF_INET6 ? 6 : 4;
  const saddr4 = a.get(ATTR.SADDR4);
  const saddr6 = a.get(ATTR.SADDR6);
  const daddr4 = a.get(ATTR.DADDR4);
  const daddr6 = a.get(ATTR.DADDR6);
  if (saddr4 && saddr4.length >= 4) event.localAddress = ipv4(saddr4);
  if (saddr6 && saddr6.length >= 16) event.localAddress = formatIpv6(saddr6.subarray(0, 16));
  if (daddr4 && daddr4.length >= 4) event.remoteAddress = ipv4(daddr4);
  if (daddr6 && daddr6.length >= 16) event.remoteAddress = formatIpv6(daddr6.subarray(0, 16));
  event.localPort = port(ATTR.SPORT);
  event.remotePort = port(ATTR.DPORT);
  event.localId = uint(ATTR.LOC_ID);
  event.remoteId = uint(ATTR.REM_ID);
  const backup = uint(ATTR.BACKUP);
  if (backup !== undefined) event.backup = backup !== 0;
  event.error = uint(ATTR.ERROR);
  const reason = uint(ATTR.RESET_REASON);
  if (reason !== undefined) {
    event.resetReason = reason;
    event.resetReasonText = describeResetReason(reason);
  }
  const resetFlags = uint(ATTR.RESET_FLAGS);
  if (resetFlags !== undefined) event.resetTransient = (resetFlags & 1) !== 0;
  const flags = uint(ATTR.FLAGS);
  if (flags !== undefined) {
    event.flags = flags;
    event.denyJoinId0 = (flags & EVENT_FLAG_DENY_JOIN_ID0) !== 0;
  }
  event.timeout = uint(ATTR.TIMEOUT);
  const ifIndex = a.get(ATTR.IF_IDX);
  if (ifIndex && ifIndex.length >= 4) event.interfaceIndex = ifIndex.readInt32LE(0);
  const serverSide = uint(ATTR.SERVER_SIDE);
  if (serverSide !== undefined || (flags !== undefined && (flags & EVENT_FLAG_SERVER_SIDE) !== 0)) {
    event.serverSide = serverSide !== undefined ? serverSide !== 0 : true;
  }
  return Object.fromEntries(Object.entries(event).filter(([, v]) => v !== undefined)) as unknown as MptcpEvent;
}
