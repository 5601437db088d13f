// How many bytes each subflow of some MPTCP connections has carried, read host-wide from sock_diag:
// a TCP socket whose ULP info names "mptcp" is a subflow, its ULP info carries its connection's
// token on this host, and its tcp_info the bytes (what `ss -ti` shows as tcp-ulp-mptcp and
// bytes_acked/bytes_received). `watch --report` takes one such look per interval.
import { AddressNames, dumpDescription, SubflowFields, walkDump } from './diag-walk.js';
import { formatEndpoint } from './host-connections.js';
import { STATES_WITH_OWNERS, TCP_LISTEN } from './inet-diag.js';
import { requestDump } from './sock-diag.js';

export interface SubflowBytes {
  /** The connection's token on this host (mptcp_info's, and the events'). */
  token: number;
  /** "10.1.1.1:45018", as the watch's events name endpoints. */
  local: string;
  remote: string;
  /** tcp_info's bytes_received plus bytes_acked: what the subflow carried either way. */
  bytes: number;
}

/**
 * Every state a subflow can have carried data in (the closing ones still count it); not LISTEN,
 * where an MPTCP listener's TCP mirror shows the same ULP name.
 */
const CARRYING_STATES = STATES_WITH_OWNERS & ~(1 << TCP_LISTEN);

/** Pure: the subflows of the connections in `tokens` found in TCP dump replies. */
export function subflowBytesOf(replies: readonly Buffer[], tokens: ReadonlySet<number>): SubflowBytes[] {
  const found: SubflowBytes[] = [];
  const names = new AddressNames();
  const fields = new SubflowFields();
  for (const bytes of replies) {
    walkDump(bytes, dumpDescription('tcp'), (socket) => {
      if (!socket.isMptcpSubflow() || !socket.readSubflow(fields)) return;
      const token = fields.tokenLocal;
      if (token === undefined || !tokens.has(token)) return;
      const carried = socket.readTcpBytes();
      if (carried === undefined) return;
      found.push({
        token,
        local: formatEndpoint({ address: names.local(socket), port: socket.localPort }),
        remote: formatEndpoint({ address: names.remote(socket), port: socket.remotePort }),
        bytes: carried,
      });
    });
  }
  return found;
}

/** One look at the subflows of `tokens` (both families); nothing to read when `tokens` is empty. */
export async function readSubflowBytes(tokens: ReadonlySet<number>): Promise<SubflowBytes[]> {
  if (tokens.size === 0) return [];
  const dump = (family: 4 | 6) => requestDump({ protocol: 'tcp', family, info: true, states: CARRYING_STATES });
  return subflowBytesOf(await Promise.all([dump(4), dump(6)]), tokens);
}
