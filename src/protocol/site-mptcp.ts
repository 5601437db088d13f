// SITE MPTCP: the server's own view of a client's connections, as one line of JSON after "200 ".
// It is how a probe tells "the server has no MPTCP" (a plain TCP listener, or a socket created
// without MPTCP) from "a middlebox stripped it" (the server saw MP_CAPABLE, but the connection fell
// back). The schema and its parser; `serve` builds the view (src/server/site-mptcp-view.ts).
// Kept compact on purpose: Python's ftplib refuses reply lines longer than 8192 bytes.

export type HandshakeEvidence = 'socket' | 'counters' | 'none';

export const SITE_MPTCP_SCHEMA = 'mptcp-doctor/site-mptcp/v1';

export interface SiteMptcpSubflow {
  id?: number;
  local?: string;
  remote?: string;
}

export interface SiteMptcpConnection {
  /** How the accepted (or, in active mode, our) socket was created, from SO_PROTOCOL. */
  socket: 'mptcp' | 'tcp';
  /**
   * 'fallback': MPTCP was attempted and the connection runs as plain TCP: either the socket is MPTCP
   * and fell back, or (socket 'tcp') the SYN carried MP_CAPABLE but the handshake did not complete
   * as MPTCP, so the kernel handed us a TCP socket (see `mpCapableEvidence`).
   */
  state: 'mptcp' | 'fallback' | 'tcp';
  /**
   * Did an MP_CAPABLE SYN reach the server? null when the server cannot know: an active-mode data
   * connection (we opened it), a socket accepted on a plain TCP listener, or no counters to read.
   */
  mpCapableReceived: boolean | null;
  /** The kind of listening socket that accepted it; absent for connections the server opened. */
  listener?: 'mptcp' | 'tcp';
  /**
   * 'socket': the accepted socket is MPTCP (certain). 'counters': the socket is TCP and the answer
   * comes from MPTcpExt MPCapableFallbackACK incrementing at this accept (namespace-wide, so
   * concurrent connections of other servers could mislead it). 'none': no evidence available.
   */
  mpCapableEvidence?: HandshakeEvidence;
  local?: string;
  remote?: string;
  subflows: { total: number; list: SiteMptcpSubflow[] };
  /** MPTCP_INFO csum_enabled while the connection is MPTCP, else net.mptcp.checksum_enabled. */
  checksum: { enabled: boolean | null; source: 'mptcp_info' | 'sysctl' | 'unknown' };
  /** MPTCP-level byte counters (6.5+), when the connection is MPTCP. */
  bytesSent?: number;
  bytesReceived?: number;
  sampledAt: string;
}

export interface SiteMptcpData extends SiteMptcpConnection {
  /** 'passive': the client connected to our listener; 'active': we connected (PORT/EPRT). */
  mode: 'passive' | 'active';
  command: string;
  /** Payload bytes moved by the command (after REST, if any). */
  bytes: number;
  /** Sampled just before the data connection closed. */
  sampled: 'before-close' | 'unavailable';
  /** Whether the transfer completed ('aborted', 'failed' otherwise). */
  outcome: 'complete' | 'aborted' | 'failed';
}

export interface SiteMptcpView {
  schema: typeof SITE_MPTCP_SCHEMA;
  /**
   * How the server's listening socket was created: 'tcp' when its kernel refused MPTCP (`reason`, e.g.
   * 'disabled' for net.mptcp.enabled=0) or serve was started with --tcp ('forced').
   */
  listener: { socket: 'mptcp' | 'tcp'; reason?: string };
  /** This control connection, sampled when SITE MPTCP was received. */
  control: SiteMptcpConnection;
  /** The last data connection of this session, null before the first. */
  data: SiteMptcpData | null;
  /**
   * The server namespace's MPTcpExt counters that changed since this client logged in (nonzero
   * deltas only). Namespace-wide: other clients' connections count too.
   */
  counters: { since: string; deltas: Record<string, number> } | { since: string; error: string };
}

/** Parses the reply text after "200 " (for clients such as `probe`); throws on anything else. */
export function parseSiteMptcpReply(text: string): SiteMptcpView {
  const json = text.replace(/^200[ -]/, '').trim();
  const value = JSON.parse(json) as SiteMptcpView;
  if (value?.schema !== SITE_MPTCP_SCHEMA) throw new Error(`not a ${SITE_MPTCP_SCHEMA} reply`);
  return value;
}
