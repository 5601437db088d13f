// SITE MPTCP: the server's own view of a client's connections, as one line of JSON after "200 ".
// It is how a probe tells "the server has no MPTCP" (socket 'tcp' on an MPTCP listener means the
// SYN carried no MP_CAPABLE) from "a middlebox stripped it on the way back" (the server saw
// MP_CAPABLE, socket 'mptcp', but the connection fell back).
// Kept compact on purpose: Python's ftplib refuses reply lines longer than 8192 bytes.
import type { ConnectionReport } from '../net/report.js';
import type { SocketAddress } from '../native/index.js';
import type { HandshakeEvidence, HandshakeVerdict } from './handshake-witness.js';

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

export function formatSocketAddress(address: SocketAddress | undefined): string | undefined {
  if (!address) return undefined;
  return address.family === 6 ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}

/**
 * The compact view of a report. `handshake`: what the accept told (undefined for connections we
 * opened). `sysctlChecksum`: the namespace setting, for non-MPTCP states.
 */
export function connectionView(report: ConnectionReport, handshake: HandshakeVerdict | undefined, sysctlChecksum: number | undefined): SiteMptcpConnection {
  const csum = report.info?.csumEnabled;
  const checksum: SiteMptcpConnection['checksum'] =
    csum !== undefined
      ? { enabled: csum, source: 'mptcp_info' }
      : sysctlChecksum !== undefined
        ? { enabled: sysctlChecksum !== 0, source: 'sysctl' }
        : { enabled: null, source: 'unknown' };
  const list: SiteMptcpSubflow[] = report.subflowDetails.map((detail) => ({
    ...(detail.id !== undefined ? { id: detail.id } : {}),
    local: formatSocketAddress(detail.local),
    remote: formatSocketAddress(detail.remote),
  }));
  const received = !handshake ? null : report.socket === 'mptcp' ? true : handshake.mpCapableReceived;
  return {
    socket: report.socket,
    state: report.socket === 'tcp' && received ? 'fallback' : report.state,
    mpCapableReceived: received,
    ...(handshake ? { listener: handshake.listener } : {}),
    ...(handshake ? { mpCapableEvidence: report.socket === 'mptcp' ? 'socket' : handshake.evidence } : {}),
    local: formatSocketAddress(report.local),
    remote: formatSocketAddress(report.remote),
    subflows: { total: report.subflows.total, list },
    checksum,
    ...(report.info?.bytesSent !== undefined ? { bytesSent: report.info.bytesSent } : {}),
    ...(report.info?.bytesReceived !== undefined ? { bytesReceived: report.info.bytesReceived } : {}),
    sampledAt: new Date().toISOString(),
  };
}

/** Parses the reply text after "200 " (for clients such as `probe`); throws on anything else. */
export function parseSiteMptcpReply(text: string): SiteMptcpView {
  const json = text.replace(/^200[ -]/, '').trim();
  const value = JSON.parse(json) as SiteMptcpView;
  if (value?.schema !== SITE_MPTCP_SCHEMA) throw new Error(`not a ${SITE_MPTCP_SCHEMA} reply`);
  return value;
}
