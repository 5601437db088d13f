// How many subflows a connection from this host should reach: the first one, plus one per
// `subflow` endpoint of the same family other than the connection's own address, capped by the
// subflows limit (in-kernel path manager, `ip mptcp endpoint` / `ip mptcp limits`).
import type { MptcpEndpoint, MptcpLimits } from '../sys/host.js';
import { pathManagerReader } from '../sys/path-manager.js';

export interface PathManagerView {
  endpoints: MptcpEndpoint[];
  limits?: MptcpLimits;
}

export function expectedSubflows(view: PathManagerView, localAddress: string | undefined, family: 4 | 6): number {
  const extra = view.endpoints.filter(
    (endpoint) => endpoint.flags.includes('subflow') && endpoint.family === family && endpoint.address !== localAddress,
  ).length;
  const limit = view.limits?.subflows ?? extra;
  return 1 + Math.min(extra, limit);
}

/** Reads the local path manager state; an unreadable one (no `ip`, old iproute2) counts as no endpoints. */
export async function readPathManagerView(): Promise<PathManagerView> {
  const reader = pathManagerReader();
  const [endpoints, limits] = await Promise.all([reader.endpoints().catch(() => []), reader.limits().catch(() => undefined)]);
  return { endpoints, limits };
}
