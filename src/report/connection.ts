// Human rendering of a ConnectionReport, shared by connect, get/put and probe.
import { formatHostPort } from '../net/address.js';
import type { ConnectionReport } from '../net/report.js';
import type { SocketAddress } from '../native/index.js';
import { paint, renderTable } from './table.js';
import { formatBytes } from './units.js';

export { formatBytes };

export function formatAddress(address: SocketAddress | undefined): string {
  return address ? formatHostPort(address.address, address.port) : '-';
}

function formatRtt(us: number | undefined): string {
  return us === undefined ? '-' : `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
}

export function stateWord(report: ConnectionReport, color: boolean): string {
  switch (report.state) {
    case 'mptcp':
      return paint(color, 'green', 'MPTCP');
    case 'fallback':
      return paint(color, 'red', 'fell back to TCP');
    case 'tcp':
      return paint(color, 'yellow', 'plain TCP');
  }
}

/** Key/value lines then one row per subflow. */
export function renderConnection(report: ConnectionReport, color: boolean): string {
  const info = report.info;
  const facts: string[][] = [
    ['socket', report.socket + (report.socketReasonText ? ` (${report.socketReasonText})` : '')],
    ['state', `${stateWord(report, color)} (${report.stateMethod})`],
    ['local', formatAddress(report.local)],
    ['remote', formatAddress(report.remote)],
    ['subflows', `${report.subflows.total} (${report.subflows.source})`],
  ];
  if (info?.csumEnabled !== undefined) facts.push(['checksum', info.csumEnabled ? 'on' : 'off']);
  if (info && (info.addAddrAccepted > 0 || info.addAddrSignal > 0)) {
    facts.push(['addresses', `${info.addAddrSignal} announced, ${info.addAddrAccepted} accepted`]);
  }
  if (report.subflowError) facts.push(['note', `subflow details unavailable: ${report.subflowError}`]);
  const rows = [['#', 'local', 'remote', 'tcp state', 'rtt', 'sent', 'received']];
  report.subflowDetails.forEach((subflow, index) => {
    rows.push([
      String(subflow.id ?? index + 1),
      formatAddress(subflow.local),
      formatAddress(subflow.remote),
      subflow.tcp?.state ?? '-',
      formatRtt(subflow.tcp?.rttUs),
      formatBytes(subflow.tcp?.bytesSent),
      formatBytes(subflow.tcp?.bytesReceived),
    ]);
  });
  const subflowTable = report.subflowDetails.length > 0 ? `\n${renderTable(rows)}` : '';
  return `${renderTable(facts)}${subflowTable}`;
}
