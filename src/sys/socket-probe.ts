// Opens (and closes) one MPTCP socket to learn whether this process may use MPTCP, why not, and
// which MPTCP socket options the kernel answers. A fresh unconnected socket answers all of them.
import {
  closeSocket, createSocket, describeTcpReason, readMptcpInfo, readSubflows, sampleMptcpState,
} from '../native/index.js';
import type { Family, SocketProbe } from './host.js';

export async function probeMptcpSocket(family: Family): Promise<SocketProbe> {
  const created = createSocket(family);
  try {
    if (created.socket === 'tcp') {
      const probe: SocketProbe = { family, socket: 'tcp' };
      if (created.reason) {
        probe.reason = created.reason;
        probe.reasonText = describeTcpReason(created.reason);
      }
      if (created.refusalCode) probe.refusalCode = created.refusalCode;
      return probe;
    }
    let fullInfo = false;
    try {
      fullInfo = readSubflows(created.fd).source === 'full_info';
    } catch {
      fullInfo = false;
    }
    return {
      family,
      socket: 'mptcp',
      options: {
        mptcpInfo: readMptcpInfo(created.fd).info !== undefined,
        tcpIsMptcp: sampleMptcpState(created.fd).method === 'tcp_is_mptcp',
        fullInfo,
      },
    };
  } finally {
    closeSocket(created.fd);
  }
}
