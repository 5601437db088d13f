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

/** The smallest buffer readNetlinkReply reads into: a datagram must always fit whole. */
export const NETLINK_READ_MIN_BYTES = 64 * 1024;

/**
 * Sends one request and hands its replies to `onBytes` piece by piece (whole datagrams, back to back,
 * the last piece up to and including NLMSG_DONE or NLMSG_ERROR), read into `buffers` by turns: while
 * one piece is decoded, the kernel fills the other. A piece is valid only during its call. Memory stays
 * at the buffers' size however long the reply: what a dump of tens of thousands of sockets needs.
 * Rejects with a system error (`ETIMEDOUT` when a piece took longer than `timeoutMs`), or with what
 * `onBytes` threw (the rest of the reply is then dropped).
 */
export async function readNetlinkReply(
  protocol: NetlinkProtocol,
  request: Buffer,
  buffers: readonly [Buffer, Buffer],
  onBytes: (bytes: Buffer) => void,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<void> {
  const dump = new (native().NetlinkDump)(protocolNumber(protocol), request);
  let pending: Promise<number> | undefined;
  try {
    let which = 0;
    pending = dump.read(buffers[0], timeoutMs);
    for (;;) {
      const length = await pending;
      pending = undefined;
      if (length === 0) break;
      const bytes = buffers[which]!.subarray(0, length);
      which ^= 1;
      pending = dump.read(buffers[which]!, timeoutMs);
      onBytes(bytes);
    }
  } finally {
    // A read still in flight (onBytes threw) ends on its own; its outcome no longer matters.
    pending?.catch(() => undefined);
    dump.close();
  }
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
