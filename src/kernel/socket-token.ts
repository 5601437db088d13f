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

/** A token as `ss` and `ip mptcp monitor` print it: 8 hex digits. */
export function formatToken(token: number): string {
  return token.toString(16).padStart(8, '0');
}
