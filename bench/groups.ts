// The benchmark groups, in the order they run (bench/README.md's table).
import type { BenchGroup } from './lib/context.js';
import { aggregation } from './figures/aggregation.js';
import { fleetAudit } from './figures/fleet.js';
import { hostObservation } from './figures/host-observation.js';
import { loopbackDownload } from './figures/loopback-download.js';
import { loopbackServe } from './figures/loopback-serve.js';
import { serverCapacity } from './figures/server-capacity.js';
import { startup } from './figures/startup.js';
import { upload } from './figures/upload.js';
import { verdictTime } from './figures/verdict-time.js';

export const GROUPS: BenchGroup[] = [
  loopbackDownload, loopbackServe, upload, aggregation, verdictTime, serverCapacity, hostObservation, startup, fleetAudit,
];
