// Dumps inet sockets of this network namespace through sock_diag (what `ss` reads).
import { netlinkRequest } from '../native/netlink.js';
import { decodeDiagMessage, encodeDumpRequest, type DiagSocket, type DumpRequest } from './inet-diag.js';
import { replyMessages } from './netlink-frame.js';

export interface SocketDump {
  sockets: DiagSocket[];
  /** The kernel flagged the dump inconsistent: sockets came or went while it was read. */
  interrupted: boolean;
}

/** One family and protocol; the raw reply goes to `capture` when given (test fixtures). */
export async function dumpSockets(request: DumpRequest, capture?: (bytes: Buffer) => void): Promise<SocketDump> {
  const bytes = await netlinkRequest('sock_diag', encodeDumpRequest(request));
  capture?.(bytes);
  return decodeSocketDump(bytes, request.protocol);
}

/** Pure: the sockets in a dump reply. */
export function decodeSocketDump(bytes: Buffer, protocol: 'tcp' | 'mptcp'): SocketDump {
  const what = `sock_diag dump of ${protocol === 'mptcp' ? 'MPTCP' : 'TCP'} sockets`;
  const { messages, interrupted } = replyMessages(bytes, what);
  const sockets: DiagSocket[] = [];
  for (const message of messages) {
    const socket = decodeDiagMessage(message, protocol);
    if (socket) sockets.push(socket);
  }
  return { sockets, interrupted };
}
