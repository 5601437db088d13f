// The ordered list of readiness checks: the order of the report (most fundamental first).
import { blackholeCheck } from './blackhole.js';
import { endpointsRoutingCheck } from './endpoints-routing.js';
import { endpointsCheck } from './endpoints.js';
import { kernelMptcpCheck } from './kernel-mptcp.js';
import { limitsCheck } from './limits.js';
import { listenersCheck } from './listeners.js';
import { managerConflictCheck } from './manager-conflict.js';
import { pmTypeCheck } from './pm-type.js';
import { rpFilterCheck } from './rp-filter.js';
import { selftestLoopbackCheck } from './selftest-loopback.js';
import { socketMptcpCheck } from './socket-mptcp.js';
import { sysctlChecksumCheck } from './sysctl-checksum.js';
import { sysctlEnabledCheck } from './sysctl-enabled.js';
import type { Check } from './types.js';

export const checks: readonly Check[] = [
  kernelMptcpCheck,
  sysctlEnabledCheck,
  sysctlChecksumCheck,
  socketMptcpCheck,
  selftestLoopbackCheck,
  pmTypeCheck,
  endpointsCheck,
  endpointsRoutingCheck,
  limitsCheck,
  blackholeCheck,
  rpFilterCheck,
  managerConflictCheck,
  listenersCheck,
];

export const checkIds: readonly string[] = checks.map((c) => c.id);

/** The checks named in `ids` (registry order), and the names that match none. */
export function selectChecks(ids: readonly string[] | undefined, from: readonly Check[] = checks): { selected: Check[]; unknown: string[] } {
  if (!ids || ids.length === 0) return { selected: [...from], unknown: [] };
  const wanted = new Set(ids);
  return {
    selected: from.filter((c) => wanted.has(c.id)),
    unknown: ids.filter((id) => !from.some((c) => c.id === id)),
  };
}
