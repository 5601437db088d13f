// The one name of a connection of an FTP session, for every report (probe, get, put, their JSON,
// the verdict sentences). It lives beside the evidence because the verdict rules name connections
// too, and the session layer above them builds its records with it.
import type { ConnectionRole } from './evidence.js';

export interface NamedConnection {
  role: ConnectionRole;
  /** The data mode (epsv, pasv, eprt, port, or passive/active when the client chose). */
  mode?: string | undefined;
  /** What a data connection was for: 'transfer' (the default), 'checksum', 'upload'. */
  purpose?: string | undefined;
}

/**
 * 'label' names a connection in tables and JSON: "control", "data epsv", "data epsv (checksum)".
 * 'noun' names it inside a sentence: "control connection", "data connection (epsv)".
 */
export function connectionName(connection: NamedConnection, form: 'label' | 'noun'): string {
  const mode = connection.mode ?? '?';
  if (form === 'noun') return connection.role === 'control' ? 'control connection' : `data connection (${mode})`;
  if (connection.role === 'control') return 'control';
  const purpose = connection.purpose;
  return purpose === undefined || purpose === 'transfer' || purpose === 'control' ? `data ${mode}` : `data ${mode} (${purpose})`;
}
