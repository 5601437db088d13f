// Dumps inet sockets of this network namespace through sock_diag (what `ss` reads).
import { netlinkRequest, readNetlinkReply } from '../native/netlink.js';
import { decodeDiagMessage, encodeDumpRequest, type DiagSocket, type DumpRequest } from './inet-diag.js';
import { dumpDescription, walkDump } from './diag-walk.js';
import { replyMessages } from './netlink-frame.js';

export interface SocketDump {
  sockets: DiagSocket[];
  /** The kernel flagged the dump inconsistent: sockets came or went while it was read. */
  interrupted: boolean;
}

/** One family and protocol, as the kernel sent it (datagrams back to back, up to NLMSG_DONE). */
export function requestDump(request: DumpRequest): Promise<Buffer> {
  return netlinkRequest('sock_diag', encodeDumpRequest(request));
}

/** Bytes of each of the two buffers a streamed dump is read into by turns (about seven datagrams). */
export const DUMP_PIECE_BYTES = 256 * 1024;

/** Two buffers for streamDump, reusable by one dump after another. */
export function dumpBuffers(): [Buffer, Buffer] {
  return [Buffer.allocUnsafe(DUMP_PIECE_BYTES), Buffer.allocUnsafe(DUMP_PIECE_BYTES)];
}

/**
 * One family and protocol, handed to `onPiece` in pieces of whole datagrams as the kernel produces
 * them (a piece is valid only during the call): memory stays at the two buffers' size, where
 * requestDump holds the whole reply (megabytes for tens of thousands of sockets).
 */
export function streamDump(request: DumpRequest, buffers: readonly [Buffer, Buffer], onPiece: (bytes: Buffer) => void): Promise<void> {
  return readNetlinkReply('sock_diag', encodeDumpRequest(request), buffers, onPiece);
}

/** One family and protocol, every socket decoded; the raw reply goes to `capture` when given (test fixtures). */
export async function dumpSockets(request: DumpRequest, capture?: (bytes: Buffer) => void): Promise<SocketDump> {
  const bytes = await requestDump(request);
  capture?.(bytes);
  return decodeSocketDump(bytes, request.protocol);
}

/** Pure: the inodes of the sockets in dump replies (0, an orphan's, left out). */
export function socketInodes(replies: readonly Buffer[], protocol: 'tcp' | 'mptcp', into = new Set<number>()): Set<number> {
  for (const bytes of replies) {
    walkDump(bytes, dumpDescription(protocol), (socket) => {
      const inode = socket.inode;
      if (inode !== 0) into.add(inode);
    });
  }
  return into;
}

/** Pure: the sockets in a dump reply, every field decoded. */
export function decodeSocketDump(bytes: Buffer, protocol: 'tcp' | 'mptcp'): SocketDump {
  const { messages, interrupted } = replyMessages(bytes, dumpDescription(protocol));
  const sockets: DiagSocket[] = [];
  for (const message of messages) {
    const socket = decodeDiagMessage(message, protocol);
    if (socket) sockets.push(socket);
  }
  return { sockets, interrupted };
}
