// serve's side of SITE MPTCP: the compact view of one of its connections, from the kernel's report
// and what the accept witnessed (the schema is src/protocol/site-mptcp.ts).
import type { ConnectionReport } from '../net/report.js';
import type { SocketAddress } from '../native/index.js';
import type { SiteMptcpConnection, SiteMptcpSubflow } from '../protocol/site-mptcp.js';
import type { HandshakeVerdict } from './handshake-witness.js';

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

