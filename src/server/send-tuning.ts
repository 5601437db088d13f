// How serve's data sockets are set up for sending (docs/server.md, "Sending"): a send buffer larger
// than any receive window a client is likely to offer, with the unsent part bounded. Measured in
// bench/analysis.md ("serve as an MPTCP sender"): on loopback, MPTCP-level retransmission stalls
// (about 200 ms each) fell from about 4 to 1.4 per GiB sent to `get`, and both get and plain-TCP
// curl finished sooner.
import { forceSendBuffer, setTcpOption } from '../native/index.js';

/**
 * SO_SNDBUF asked for (the kernel accounts twice this). Autotuning stops at net.ipv4.tcp_wmem's
 * maximum (4 MiB by default): below the 8 MiB window a `get` client offers (and the up to 32 MiB
 * an autotuned receiver offers), so the sender runs out of buffer before the receiver runs out of
 * window, and on MPTCP the receiver then often leaves data it has taken unacknowledged until the
 * sender's retransmission timer fires. This size makes the window the limit instead.
 */
export const SEND_BUFFER_BYTES = 16 << 20;

/**
 * TCP_NOTSENT_LOWAT: at most this much written but not yet sent. What the large buffer holds is
 * then data in flight (bounded by the client's window) plus this, not 32 MiB per client.
 */
export const NOTSENT_LOWAT_BYTES = 1 << 20;

export interface SendTuning {
  /** SO_SNDBUF as the kernel reports it afterwards; undefined when left to autotuning. */
  sendBuffer?: number;
  notsentLowat?: number;
  /** Why something was left as it was (the kernel's error code), for the log. */
  skipped?: string;
}

/**
 * Tunes one data socket before the first byte is written. Best effort, never fatal: a kernel
 * without TCP_NOTSENT_LOWAT on MPTCP sockets keeps its defaults (a large buffer without the bound
 * would hold up to 32 MiB of unsent data per client), and without CAP_NET_ADMIN the buffer stays
 * autotuned (see forceSendBuffer).
 */
export function tuneForSending(fd: number): SendTuning {
  // The bound first: it is what makes the large buffer safe, and older kernels lack it on MPTCP.
  try {
    setTcpOption(fd, 'notsentLowat', NOTSENT_LOWAT_BYTES);
  } catch (error) {
    return { skipped: `TCP_NOTSENT_LOWAT ${(error as { code?: string }).code ?? 'failed'}` };
  }
  try {
    return { notsentLowat: NOTSENT_LOWAT_BYTES, sendBuffer: forceSendBuffer(fd, SEND_BUFFER_BYTES) };
  } catch (error) {
    // The bound alone only adds wake-ups (bench/analysis.md): back to the system default (0).
    try {
      setTcpOption(fd, 'notsentLowat', 0);
    } catch {
      // the socket is going away; nothing to restore
    }
    return { skipped: `SO_SNDBUFFORCE ${(error as { code?: string }).code ?? 'failed'}` };
  }
}
