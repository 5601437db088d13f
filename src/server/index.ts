// The probe server's public surface: startServer for the serve command, check's self-test and tests;
// the SITE MPTCP types and parser for probe.
export { startServer, DEFAULT_GRACE_MS, type ProbeServer } from './server.js';
export { DEFAULT_SERVER_OPTIONS, resolveServerOptions, type ServerOptions } from './options.js';
export { formatEvent, type ServerEvent, type ServerLogger } from './logger.js';
export {
  parseSiteMptcpReply, SITE_MPTCP_SCHEMA,
  type SiteMptcpConnection, type SiteMptcpData, type SiteMptcpSubflow, type SiteMptcpView,
} from './site-mptcp.js';
export { computeDigest, DigestService } from './digest-cache.js';
export { probeBytes, probeSegments } from './probe-stream.js';
export { formatSize, parseSize, DEFAULT_MAX_DIGEST_SIZE, DEFAULT_MAX_PROBE_SIZE, LISTED_SIZES } from './size.js';
export { tlsMaterialProblem, type TlsMaterial, type TlsMaterialProblem } from './tls-layer.js';
