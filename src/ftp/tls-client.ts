// The client side of TLS on one of our MPTCP sockets (RFC 4217: AUTH TLS, PROT P), with its
// handshake watched from the instant TLS starts. A server may finish the handshake before we get
// round to waiting for it (ours completes at accept, before the 150 reply; vsftpd only after it):
// an outcome that came early is kept, never missed.
import tls from 'node:tls';
import { FtpError } from './errors.js';

export interface TlsClient {
  socket: tls.TLSSocket;
  /** Resolves when the handshake is done, rejects with one clear line; bounded by `timeoutMs`. */
  secured(timeoutMs: number): Promise<void>;
}

/**
 * Starts TLS (tls.connect over `options.socket`). `what` names the connection in errors
 * ("control connection", "data connection").
 */
export function startTls(options: tls.ConnectionOptions, what: string): TlsClient {
  const socket = tls.connect(options);
  // Errors after the handshake belong to whoever reads the stream; it must never be unhandled.
  socket.on('error', () => undefined);
  const outcome = new Promise<void>((resolve, reject) => {
    const done = () => {
      socket.off('secureConnect', onSecure);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onSecure = () => {
      done();
      resolve();
    };
    const onError = (error: Error & { code?: string }) => {
      done();
      reject(new FtpError(`${what}: TLS: ${describeTlsError(error)}`, 'tls', undefined, { cause: error }));
    };
    const onClose = () => {
      done();
      reject(new FtpError(`${what}: closed during the TLS handshake`, 'closed'));
    };
    socket.once('secureConnect', onSecure);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
  outcome.catch(() => undefined); // nobody may be waiting yet: it is read by secured()
  return {
    socket,
    secured(timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new FtpError(`${what}: TLS handshake timed out after ${Math.round(timeoutMs / 1000)} s`, 'timeout'));
        }, timeoutMs);
        outcome.then(resolve, reject).finally(() => clearTimeout(timer));
      });
    },
  };
}

export function describeTlsError(error: Error & { code?: string }): string {
  const hints: Record<string, string> = {
    DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate (use --ca FILE, or --insecure)',
    SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in chain (use --ca FILE, or --insecure)',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the certificate (use --ca FILE, or --insecure)',
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown certificate issuer (use --ca FILE, or --insecure)',
    CERT_HAS_EXPIRED: 'certificate has expired',
    ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not match the host name',
    // Plain FTP where TLS was expected: ftps:// (implicit) against an explicit-FTPS or plain port.
    ERR_SSL_WRONG_VERSION_NUMBER: 'the server did not answer in TLS (ftps:// is implicit FTPS, usually port 990; use ftpes:// or --tls for AUTH TLS)',
  };
  return (error.code && hints[error.code]) ?? error.message.split('\n')[0]!;
}
