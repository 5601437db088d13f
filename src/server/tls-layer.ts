// TLS for the control connection (AUTH TLS, RFC 4217) and for data connections (PROT P). The TLS
// layer sits on top of the MPTCP socket: MPTCP is below TCP's byte stream, so TLS neither knows
// nor cares; reports keep reading the raw socket's descriptor.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';

export interface TlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
}

/** Which part of the TLS material is unusable, and why, in words for whoever gave it to us. */
export interface TlsMaterialProblem {
  part: 'cert' | 'key' | 'pair';
  reason: string;
}

/**
 * Checks certificate and key one at a time, so that a mistake can be pinned on one file: a
 * secure context built from both only says what OpenSSL's decoder disliked, not in which file.
 */
export function tlsMaterialProblem(material: TlsMaterial): TlsMaterialProblem | undefined {
  if (material.cert.length === 0) return { part: 'cert', reason: 'the file is empty' };
  if (material.key.length === 0) return { part: 'key', reason: 'the file is empty' };
  try {
    new X509Certificate(material.cert);
  } catch {
    return { part: 'cert', reason: 'not a PEM certificate' };
  }
  try {
    createPrivateKey(material.key);
  } catch {
    return { part: 'key', reason: 'not a PEM private key (or one protected by a passphrase, which serve cannot use)' };
  }
  try {
    createTlsContext(material);
  } catch {
    return { part: 'pair', reason: 'the private key does not belong to the certificate' };
  }
  return undefined;
}

export function createTlsContext(material: TlsMaterial): tls.SecureContext {
  return tls.createSecureContext({ cert: material.cert, key: material.key, minVersion: 'TLSv1.2' });
}

/**
 * Starts the server side of TLS on an already connected socket. Call it before any byte of the
 * client's handshake is read from `socket` (pause it first): what Node has read is not replayed.
 */
export function upgradeToTls(socket: net.Socket, context: tls.SecureContext): tls.TLSSocket {
  const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
  handshakes.set(secure, new Promise<void>((resolve) => secure.once('secure', () => resolve())));
  return secure;
}

const handshakes = new WeakMap<tls.TLSSocket, Promise<void>>();

/**
 * Resolves once the TLS handshake of a stream made by upgradeToTls completed (at once for a plain
 * socket). Ending a TLS stream before its handshake completed closes it without a TLS session: a
 * client still in its handshake sees "disconnected before secure TLS connection was established",
 * which is how an empty file over FTPS failed.
 */
export function handshakeDone(stream: net.Socket | tls.TLSSocket): Promise<void> {
  return (stream instanceof tls.TLSSocket ? handshakes.get(stream) : undefined) ?? Promise.resolve();
}
