// The MPTCP token of one of our own sockets: the key that ties the kernel's path-manager events
// (src/kernel/mptcp-event-stream.ts) and sock_diag's subflows to that socket.
import { readMptcpInfo } from '../native/socket-state.js';

/**
 * The connection's local token (mptcp_info's token, as events and `ss -M` show it), or undefined
 * when the socket is not MPTCP, has fallen back (the kernel then refuses MPTCP_INFO), or the
 * handshake has not progressed far enough to have one (the token is 0 until then).
 */
export function mptcpTokenOfSocket(fd: number): number | undefined {
  const { info } = readMptcpInfo(fd);
  if (!info || info.fallback || info.token === 0) return undefined;
  return info.token;
}

const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** A token as `ss` and `ip mptcp monitor` print it: 8 hex digits. */
export function formatToken(token: number): string {
  // By bytes from a table: a number's own hex conversion is slow, and `conns` formats one per connection.
  if (Number.isInteger(token) && token >= 0 && token <= 0xffffffff) {
    return HEX_BYTES[token >>> 24]! + HEX_BYTES[(token >>> 16) & 0xff]! + HEX_BYTES[(token >>> 8) & 0xff]! + HEX_BYTES[token & 0xff]!;
  }
  return token.toString(16).padStart(8, '0');
}
