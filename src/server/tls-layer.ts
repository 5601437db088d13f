// TLS for the control connection (AUTH TLS, RFC 4217) and for data connections (PROT P). The TLS
// layer sits on top of the MPTCP socket: MPTCP is below TCP's byte stream, so TLS neither knows
// nor cares; reports keep reading the raw socket's descriptor.
import type net from 'node:net';
import tls from 'node:tls';

export interface TlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
}

export function createTlsContext(material: TlsMaterial): tls.SecureContext {
  return tls.createSecureContext({ cert: material.cert, key: material.key, minVersion: 'TLSv1.2' });
}

/**
 * Starts the server side of TLS on an already connected socket. Call it before any byte of the
 * client's handshake is read from `socket` (pause it first): what Node has read is not replayed.
 */
export function upgradeToTls(socket: net.Socket, context: tls.SecureContext): tls.TLSSocket {
  return new tls.TLSSocket(socket, { isServer: true, secureContext: context });
}
