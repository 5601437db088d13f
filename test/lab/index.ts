// The lab harness's public entry point: import everything from here (test/lab/index.js).
export { createLab, Lab, type NamespaceRef, type ShapeOptions } from './lab.js';
export type { LabSpec, LabAddresses, LinkInfo, AddressPair, Role } from './topology.js';
export { LabProcess, type SpawnOptions } from './process.js';
export { execIn, LabCommandError, type ExecOptions, type ExecResult } from './exec.js';
export { snapshotCounters, diffCounters, parseNetstat, type Counters } from './counters.js';
export { sweepStaleNamespaces, listNamespaces } from './sweep.js';
export { packageRoot, cliEntry } from './paths.js';
export { startVsftpd, type Vsftpd, type VsftpdOptions, type ServedFile } from './vsftpd.js';
export { pureFtpdBinary, startPureFtpd, type PureFtpd, type PureFtpdOptions } from './pure-ftpd.js';
export { ensureShim, mptcpizeLibrary, shimLibrary } from './shim.js';
export { Middleboxes, type Middlebox, type StripMode, type StripOptions } from './middlebox.js';
