// What the kernel says about the bytes we wrote on a data connection: how far the peer has
// acknowledged them (the progress a data timeout measures) and whether all of them, our FIN
// included, are acknowledged (when a download is really over). docs/server.md explains the use.
import { readMptcpInfo, readTcpInfo } from '../native/index.js';

export interface DeliverySample {
  /**
   * Grows whenever the peer acknowledges bytes: MPTCP's data-level snd_una (RFC 8684 section 3.3.2:
   * the DATA_ACK of the connection, not of one subflow), or tcp_info's bytes_acked (Linux 4.1+).
   * Only its changes mean something. Undefined when the kernel does not tell.
   */
  acked?: bigint;
  /**
   * Bytes written to the kernel and not acknowledged yet, our DATA_FIN counted as one (MPTCP's
   * write_seq - snd_una); undefined on plain TCP, where tcp_info has no byte count of it.
   */
  outstanding?: bigint;
  /**
   * Everything written, our FIN or DATA_FIN included, is acknowledged. Meaningful only once we have
   * shut down our side: before that, "nothing outstanding" may just mean "nothing written yet".
   */
  delivered: boolean;
}

const U64 = (1n << 64n) - 1n;

/** TCP states in which our FIN has been acknowledged (after our shutdown). */
const FIN_ACKED_STATES = new Set(['fin-wait2', 'time-wait']);

/**
 * Samples the socket on `fd`. An MPTCP connection answers at the data level (MPTCP_INFO, Linux
 * 5.9+); a plain or fallen-back one through tcp_info, whose state tells when our FIN was
 * acknowledged. On an MPTCP socket tcp_info describes one subflow, whose FIN is not the
 * connection's DATA_FIN: it is used only once MPTCP_INFO says the connection fell back.
 */
export function sampleDelivery(fd: number): DeliverySample | undefined {
  const { info } = readMptcpInfo(fd);
  if (info && !info.fallback) {
    const writeSeq = BigInt(info.writeSeq);
    const sndUna = BigInt(info.sndUna);
    // 64-bit sequence numbers wrap: the difference is taken modulo 2^64.
    const outstanding = (writeSeq - sndUna) & U64;
    return { acked: sndUna, outstanding, delivered: outstanding === 0n };
  }
  const tcp = readTcpInfo(fd);
  if (!tcp) return undefined;
  return {
    ...(tcp.bytesAcked !== undefined ? { acked: BigInt(tcp.bytesAcked) } : {}),
    delivered: FIN_ACKED_STATES.has(tcp.state),
  };
}
