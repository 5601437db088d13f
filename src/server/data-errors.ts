// Why a data connection failed, in words for the FTP client's user: the 426 reply says what
// happened (TLS refused, connection reset), never OpenSSL's or libuv's internals. The raw message
// goes to the server log instead.

/** OpenSSL's reason strings (the part after "SSL routines:<function>:"), grouped by what they mean. */
const NOT_TLS = /http request|wrong version number|packet length too long|unknown protocol|record layer failure|length too short/;
const CERTIFICATE_REFUSED = /alert (certificate unknown|bad certificate|unknown ca|certificate expired|certificate revoked|unsupported certificate|access denied)/;
const NOTHING_IN_COMMON = /no shared cipher|unsupported protocol|version too low|protocol version|no protocols available|no suitable signature algorithm/;
const CUT_SHORT = /unexpected eof|shutdown while in init/;

export interface DataFailure {
  /** For the 426 reply: plain words, no library text. */
  reply: string;
  /** What kind of failure, for the log. */
  kind: 'tls' | 'reset' | 'network';
}

function isTlsError(error: Error & { code?: string; library?: string }): boolean {
  return error.code?.startsWith('ERR_SSL_') === true || error.code === 'EPROTO' || error.library !== undefined || /SSL routines/.test(error.message);
}

/** OpenSSL's reason, lower case: "http request" from "...:SSL routines:ssl3_get_record:http request:...". */
function tlsReason(error: Error & { code?: string; reason?: string }): string {
  if (typeof error.reason === 'string') return error.reason.toLowerCase();
  const routines = /SSL routines:[^:]*:([^:]+)/.exec(error.message);
  if (routines) return routines[1]!.toLowerCase();
  // Node's codes carry the same words: ERR_SSL_WRONG_VERSION_NUMBER, ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE.
  return (error.code ?? '').replace(/^ERR_SSL_(SSLV3_|TLSV1_)?/, '').replace(/_/g, ' ').toLowerCase();
}

export function describeDataFailure(error: Error & { code?: string }): DataFailure {
  if (isTlsError(error)) {
    const reason = tlsReason(error);
    if (NOT_TLS.test(reason)) return { kind: 'tls', reply: 'TLS failed on the data connection: your client did not speak TLS there (PROT P is in effect)' };
    if (CERTIFICATE_REFUSED.test(reason)) return { kind: 'tls', reply: 'TLS failed on the data connection: your client refused the server certificate' };
    if (NOTHING_IN_COMMON.test(reason)) return { kind: 'tls', reply: 'TLS failed on the data connection: no TLS version or cipher in common (TLS 1.2 or later needed)' };
    if (CUT_SHORT.test(reason)) return { kind: 'tls', reply: 'TLS failed on the data connection: it was closed in the middle of TLS' };
    return { kind: 'tls', reply: 'TLS failed on the data connection' };
  }
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return { kind: 'reset', reply: 'Data connection reset by your side' };
  if (error.code === 'ETIMEDOUT' || error.code === 'EHOSTUNREACH' || error.code === 'ENETUNREACH') {
    return { kind: 'network', reply: 'Data connection lost (the network stopped answering)' };
  }
  return { kind: 'network', reply: 'Data connection failed' };
}
