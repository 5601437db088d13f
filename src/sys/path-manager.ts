// The in-kernel path manager's endpoints and limits: over netlink when the kernel answers (no
// program to start: this runs on every check and probe), else from `ip mptcp`, as before.
import { readPathManager } from '../kernel/path-manager.js';
import type { MptcpEndpoint, MptcpLimits } from './host.js';
import { readEndpoints as readEndpointsWithIp, readLimits as readLimitsWithIp } from './ip.js';

export interface PathManagerReader {
  endpoints(): Promise<MptcpEndpoint[]>;
  limits(): Promise<MptcpLimits>;
}

/** A fresh reader: one netlink read shared by both questions, `ip` when netlink cannot answer. */
export function pathManagerReader(): PathManagerReader {
  let pending: Promise<{ endpoints: MptcpEndpoint[]; limits: MptcpLimits } | undefined> | undefined;
  const fromNetlink = () => (pending ??= readPathManager().catch(() => undefined));
  return {
    endpoints: async () => (await fromNetlink())?.endpoints ?? readEndpointsWithIp(),
    limits: async () => (await fromNetlink())?.limits ?? readLimitsWithIp(),
  };
}
