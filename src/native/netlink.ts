// Netlink through the addon: a request answered with raw reply bytes, or a subscription to
// multicast groups delivering raw bytes in batches. src/kernel decodes every byte.
import { native, type NativeNetlinkSubscription, type NetlinkBatchCallback } from './binding.js';

export type NetlinkProtocol = 'sock_diag' | 'generic';

const DEFAULT_TIMEOUT_MS = 5_000;

function protocolNumber(protocol: NetlinkProtocol): number {
  const constants = native().netlinkConstants;
  return protocol === 'sock_diag' ? constants.NETLINK_SOCK_DIAG : constants.NETLINK_GENERIC;
}

/**
 * Sends one request (a complete netlink message) and resolves with the replies, datagrams back to
 * back, up to and including NLMSG_DONE or NLMSG_ERROR. Runs off the event loop; rejects with a
 * system error (`ETIMEDOUT` when the kernel did not finish within `timeoutMs`).
 */
export function netlinkRequest(protocol: NetlinkProtocol, request: Buffer, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
  return native().netlinkTransact(protocolNumber(protocol), request, timeoutMs);
}

export type NetlinkSubscription = NativeNetlinkSubscription;
export type { NetlinkBatchCallback };

/**
 * Joins multicast `groups` of a netlink family. Throws a system error when joining is refused
 * (`EPERM`: the group needs CAP_NET_ADMIN).
 */
export function subscribeNetlink(
  protocol: NetlinkProtocol,
  groups: readonly number[],
  receiveBufferBytes: number,
  onBatch: NetlinkBatchCallback,
): NetlinkSubscription {
  const Subscription = native().NetlinkSubscription;
  return new Subscription(protocolNumber(protocol), [...groups], receiveBufferBytes, onBatch);
}
