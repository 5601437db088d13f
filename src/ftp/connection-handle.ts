// A handle on one of the client's connections (control or data) that observers, such as probe, can
// sample while it is open. The fd is only valid until the socket is destroyed, so report() refuses
// after close instead of reading a descriptor the kernel may have handed to someone else.
import type net from 'node:net';
import type { CreatedSocket } from '../native/index.js';
import { reportConnection, type ConnectionReport } from '../net/report.js';

export type ConnectionRole = 'control' | 'data';
/** How a data connection was set up (RFC 959 PASV/PORT, RFC 2428 EPSV/EPRT). */
export type DataMode = 'epsv' | 'pasv' | 'eprt' | 'port';

export interface FtpConnectionHandle {
  role: ConnectionRole;
  /** Data connections only. */
  mode?: DataMode;
  /** The fd-bearing socket (under TLS, the raw socket TLS runs over). */
  socket: net.Socket;
  fd: number;
  /** True once the socket is destroyed: report() then throws. */
  readonly closed: boolean;
  /** What the kernel says now (TCP_IS_MPTCP, MPTCP_INFO, subflows). */
  report(): ConnectionReport;
}

export function makeHandle(
  role: ConnectionRole,
  mode: DataMode | undefined,
  socket: net.Socket,
  fd: number,
  created: Pick<CreatedSocket, 'socket' | 'reason'> | undefined,
): FtpConnectionHandle {
  return {
    role,
    ...(mode ? { mode } : {}),
    socket,
    fd,
    get closed() {
      return socket.destroyed;
    },
    report() {
      if (socket.destroyed) throw new Error(`${role} connection already closed: report it before closing`);
      return reportConnection(fd, created);
    },
  };
}
