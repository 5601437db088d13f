// Whether the far end is an FTP server at all. When the TCP connection was made but no FTP reply
// ever came, the failure is not the network's nor MPTCP's: an HTTP server waits for a request, an
// SSH server greets with "SSH-2.0-...". get, put and probe say so in the same words.
import type { SessionOutcome } from './session.js';

/**
 * "is not an FTP server: ..." when the session connected, heard no reply, and failed for a reason
 * that means no greeting (bytes that are not one, silence, a close); undefined otherwise (a refused
 * connection, a TLS failure of implicit FTPS, a refused login).
 */
export function notAnFtpServer(session: Pick<SessionOutcome<unknown>, 'failure' | 'records' | 'heardReply'>, replyTimeoutMs: number): string | undefined {
  const failure = session.failure;
  if (!failure || failure.stage !== 'connect' || session.heardReply) return undefined;
  if (!session.records.some((r) => r.role === 'control')) return undefined;
  if (failure.kind === 'protocol') return `is not an FTP server: its first bytes are not an FTP greeting (${failure.message})`;
  if (failure.kind === 'timeout') return `is not an FTP server: it accepted the connection but sent no FTP greeting within ${Math.round(replyTimeoutMs / 1000)} s`;
  if (failure.kind === 'closed') return 'is not an FTP server: it closed the connection without an FTP greeting';
  return undefined;
}
