// The probe server's public surface: startServer for the serve command, check's self-test and tests.
export { startServer, DEFAULT_GRACE_MS, type ProbeServer } from './server.js';
export { DEFAULT_SERVER_OPTIONS, resolveServerOptions, type ServerOptions } from './options.js';
export { formatEvent, type ServerEvent, type ServerLogger } from './logger.js';
export { computeDigest, DigestService } from './digest-cache.js';
export { probeBytes, probeSegments } from '../protocol/probe-stream.js';
export { formatSize, parseSize, DEFAULT_MAX_DIGEST_SIZE, DEFAULT_MAX_PROBE_SIZE, LISTED_SIZES } from '../protocol/size.js';
export { tlsMaterialProblem, type TlsMaterial, type TlsMaterialProblem } from './tls-layer.js';
