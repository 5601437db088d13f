// A data connection is held from the instant it exists (connected, or accepted from the server),
// not from the moment we get round to reading it. The server's end of data may come before its 150
// reply (an empty file: nothing but the end), and a socket that nobody holds then closes itself:
// whoever reads it later would see "closed before the end of data", or wait for an end already gone.
import type net from 'node:net';
import type tls from 'node:tls';

/**
 * Call as soon as the socket exists. Its end no longer closes our side (the report is sampled
 * after the end, and the end stays visible as readableEnded), and an early error is kept in
 * socket.errored for the reader instead of going unhandled.
 */
export function holdDataSocket(socket: net.Socket): void {
  socket.allowHalfOpen = true;
  socket.on('error', () => undefined);
}

export type EarlyOutcome = { kind: 'ended' } | { kind: 'failed'; error: Error } | { kind: 'closed' } | undefined;

/** What already happened to `stream` before its reader attached (undefined: nothing yet). */
export function earlyOutcome(stream: net.Socket | tls.TLSSocket): EarlyOutcome {
  if (stream.errored) return { kind: 'failed', error: stream.errored };
  if (stream.readableEnded) return { kind: 'ended' };
  if (stream.destroyed) return { kind: 'closed' };
  return undefined;
}
