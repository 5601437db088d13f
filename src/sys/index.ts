export { writeFileAtomic, fileWriteProblem } from './atomic-write.js';
export { counterDeltas, parseNetstat, readMptcpCounters, type CounterSnapshot } from './counters.js';
export type {
  EndpointFlag, Family, Host, InterfaceAddress, IpRoute, IpRule, KernelConfig, MptcpEndpoint, MptcpLimits,
  NetworkInterface, ProcessInfo, SocketOptionProbe, SocketProbe,
} from './host.js';
export { parseEndpoints, parseInterfaces, parseLimits, parseRoutes, parseRules } from './ip.js';
export { readMptcpSysctl } from './mptcp-sysctl.js';
export { parseKernelConfig } from './procfs.js';
export { createHost } from './real-host.js';
export { ProgramError } from './run-program.js';
export { describeWriteProblems, readSysctl, sysctlKey, sysctlPath, sysctlWriteProblem, writeSysctl, type WriteProblem } from './sysctl.js';
export { applySysctls, realSysctlIo, SysctlApplyError, type SysctlAssignment, type SysctlIo } from './apply-sysctls.js';
export { DEFAULT_DROPIN_PATH, mergeDropin, writeSysctlDropin } from './sysctl-dropin.js';
