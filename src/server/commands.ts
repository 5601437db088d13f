// The FTP commands of the probe server (RFC 959, 2389 FEAT/OPTS, 2428 EPSV/EPRT, 3659 SIZE/MDTM/REST/
// MLSD, 4217 AUTH TLS), each a small function of (session, argument). Anything not here is 502.
import net from 'node:net';
import { readMptcpCounters, counterDeltas } from '../sys/counters.js';
import { readMptcpSysctl } from '../sys/mptcp-sysctl.js';
import { PassiveListener } from './data-channel.js';
import { canonicalAddress } from './limits.js';
import { ftpTimestamp, mlsdLine, renderListing } from './listing.js';
import { probeSegments } from '../protocol/probe-stream.js';
import type { CommandSpec, Session } from './session.js';
import { eprtProtocol, formatEpsvReply, formatPasvReply, parseEprtArgument, parsePortArgument } from '../protocol/data-channel.js';
import { SITE_MPTCP_SCHEMA, type SiteMptcpView } from '../protocol/site-mptcp.js';
import { formatSize } from '../protocol/size.js';
import { DigestCancelled, DigestTooLarge } from './digest-cache.js';
import { connectionView } from './site-mptcp-view.js';
import { receiveUpload, runTransfer, sendSegments } from './transfer.js';
import { upgradeToTls } from './tls-layer.js';
import { digestFileText, normalizePath, TREE_MTIME, type TreeEntry } from './tree.js';

type Spec = CommandSpec;

/** Users that mean "anonymous" to every FTP client. */
const ANONYMOUS = new Set(['anonymous', 'ftp']);
/** PORT/EPRT to privileged ports is refused: nothing we send belongs to a system service. */
const LOWEST_ACTIVE_PORT = 1024;

function resolve(session: Session, argument: string): TreeEntry | undefined {
  const path = normalizePath(session.cwd, argument || '.');
  return path === undefined ? undefined : session.context.tree.lookup(path);
}

function quotePath(path: string): string {
  return `"${path.replace(/"/g, '""')}"`;
}

const user: Spec = {
  beforeLogin: true,
  handler(session, argument) {
    if (session.loggedIn) return session.reply(503, 'Already logged in');
    if (!ANONYMOUS.has(argument.toLowerCase())) {
      session.user = undefined;
      return session.reply(530, 'Only anonymous login (USER anonymous)');
    }
    session.user = argument;
    session.reply(331, 'Anonymous login ok, send any password');
  },
};

const pass: Spec = {
  beforeLogin: true,
  async handler(session) {
    if (session.loggedIn) return session.reply(503, 'Already logged in');
    if (!session.user) return session.reply(503, 'Send USER first');
    session.loginDone();
    // Counter deltas in SITE MPTCP start here.
    session.loginCounters = await readMptcpCounters().catch(() => undefined);
    session.log('info', 'login', { user: session.user, tls: session.tlsActive });
    session.reply(230, 'Logged in; /probe has test files, /upload takes uploads (discarded)');
  },
};

const syst: Spec = { beforeLogin: true, handler: (s) => s.reply(215, 'UNIX Type: L8') };
const noop: Spec = { beforeLogin: true, handler: (s) => s.reply(200, 'NOOP ok') };
const quit: Spec = { beforeLogin: true, handler: (s) => s.disconnect(221, 'Goodbye', 'quit') };

const feat: Spec = {
  beforeLogin: true,
  handler(session) {
    const features = ['EPRT', 'EPSV', 'PASV', 'REST STREAM', 'SIZE', 'MDTM', 'MLST type*;size*;modify*;perm*;', 'UTF8', 'TVFS', 'SITE MPTCP'];
    if (session.context.tlsContext) features.unshift('AUTH TLS', 'PBSZ', 'PROT');
    session.replyBlock(211, 'Features:', features, 'End');
  },
};

const help: Spec = {
  beforeLogin: true,
  handler(session) {
    const names = [...COMMANDS.keys()].sort();
    const rows: string[] = [];
    for (let i = 0; i < names.length; i += 8) rows.push(names.slice(i, i + 8).join(' '));
    session.replyBlock(214, 'Commands:', [...rows, 'SITE MPTCP: this server\'s view of your connections, as JSON'], 'Help ok');
  },
};

const opts: Spec = {
  beforeLogin: true,
  handler(session, argument) {
    const [option, value = ''] = argument.split(/\s+/, 2).map((s) => s.toUpperCase());
    if (option === 'UTF8' && (value === 'ON' || value === '')) return session.reply(200, 'UTF8 always on');
    if (option === 'MLST') return session.reply(200, 'MLST OPTS type;size;modify;perm;');
    session.reply(501, 'Option not understood');
  },
};

const pwd: Spec = { handler: (s) => s.reply(257, `${quotePath(s.cwd)} is the current directory`) };

const cwd: Spec = {
  handler(session, argument) {
    const entry = resolve(session, argument || '/');
    if (entry?.kind !== 'dir') return session.reply(550, 'No such directory');
    session.cwd = entry.path;
    session.reply(250, `Directory is now ${entry.path}`);
  },
};

const cdup: Spec = { handler: (s) => cwd.handler(s, '..') };

const type: Spec = {
  handler(session, argument) {
    const value = argument.toUpperCase().replace(/\s+/g, ' ');
    if (value === 'I' || value === 'L 8') {
      session.type = 'I';
      return session.reply(200, 'Switching to Binary mode');
    }
    if (value === 'A' || value === 'A N') {
      // Downloads stay byte-exact in ASCII mode (as vsftpd does by default): digests must match.
      session.type = 'A';
      return session.reply(200, 'Switching to ASCII mode');
    }
    session.reply(504, 'Type not supported');
  },
};

const mode: Spec = { handler: (s, a) => (a.toUpperCase() === 'S' ? s.reply(200, 'Mode set to S') : s.reply(504, 'Only stream mode')) };
const stru: Spec = { handler: (s, a) => (a.toUpperCase() === 'F' ? s.reply(200, 'Structure set to F') : s.reply(504, 'Only file structure')) };

async function openPassive(session: Session): Promise<PassiveListener | undefined> {
  await session.passive?.close();
  session.passive = undefined;
  session.active = undefined;
  try {
    const listener = await PassiveListener.open({
      bindAddress: canonicalAddress(session.localAddress),
      portRange: session.options.pasvPorts,
      allowedPeer: canonicalAddress(session.remoteAddress),
      tcp: session.options.tcp,
      bufferSizes: session.options.bufferSizes,
      tlsContext: () => (session.protection === 'P' ? session.context.tlsContext : undefined),
      onRefused: (peer) => session.log('warn', 'data-refused', { peer }),
    });
    // Closed by the next PASV/EPSV/PORT, by the transfer that uses it, or by the session's cleanup.
    session.passive = listener;
    return listener;
  } catch (error) {
    session.log('warn', 'passive-failed', { message: (error as Error).message });
    session.reply(425, 'Cannot open passive port');
    return undefined;
  }
}

const pasv: Spec = {
  async handler(session) {
    if (session.epsvAll) return session.reply(503, 'EPSV ALL in effect: use EPSV');
    const address = session.options.pasvAddress ?? canonicalAddress(session.localAddress);
    if (!net.isIPv4(address)) return session.reply(425, 'PASV needs IPv4; use EPSV');
    const listener = await openPassive(session);
    if (!listener) return;
    const port = listener.port;
    session.reply(227, formatPasvReply(address, port)!);
  },
};

const epsv: Spec = {
  async handler(session, argument) {
    const arg = argument.toUpperCase();
    if (arg === 'ALL') {
      session.epsvAll = true;
      return session.reply(200, 'EPSV ALL ok');
    }
    const family = net.isIPv4(canonicalAddress(session.localAddress)) ? '1' : '2';
    if (arg !== '' && arg !== family) return session.reply(522, `Network protocol not supported, use (${family})`);
    const listener = await openPassive(session);
    if (!listener) return;
    session.reply(229, formatEpsvReply(listener.port)!);
  },
};

/** PORT/EPRT target checks: only the client's own address (no FTP bounce, RFC 2577), no low ports. */
function setActive(session: Session, host: string, port: number): void {
  if (session.epsvAll) return session.reply(503, 'EPSV ALL in effect: use EPSV');
  if (canonicalAddress(host) !== canonicalAddress(session.remoteAddress)) {
    session.log('warn', 'bounce-refused', { target: host, port });
    return session.reply(500, 'Illegal PORT command: data connections go only to your own address');
  }
  if (port < LOWEST_ACTIVE_PORT || port > 65535) return session.reply(500, `Illegal PORT command: port must be ${LOWEST_ACTIVE_PORT}-65535`);
  void session.passive?.close();
  session.passive = undefined;
  session.active = { host: canonicalAddress(host), port };
  session.reply(200, 'PORT command successful');
}

const port: Spec = {
  handler(session, argument) {
    const target = parsePortArgument(argument);
    if (!target) return session.reply(501, 'Syntax: PORT h1,h2,h3,h4,p1,p2');
    setActive(session, target.host, target.port);
  },
};

const eprt: Spec = {
  handler(session, argument) {
    const target = parseEprtArgument(argument);
    if (target) return setActive(session, target.host, target.port);
    const protocol = eprtProtocol(argument);
    if (protocol !== undefined && protocol !== '1' && protocol !== '2' && /^\d+$/.test(protocol)) {
      return session.reply(522, 'Network protocol not supported, use (1,2)');
    }
    return session.reply(501, 'Syntax: EPRT |proto|address|port| (the protocol matching the address)');
  },
};

const rest: Spec = {
  handler(session, argument) {
    if (!/^\d{1,16}$/.test(argument) || !Number.isSafeInteger(Number(argument))) return session.reply(501, 'REST needs a byte offset');
    session.restOffset = Number(argument);
    session.reply(350, `Restarting at ${session.restOffset}; send RETR`);
  },
};

const size: Spec = {
  handler(session, argument) {
    const entry = resolve(session, argument);
    if (entry?.kind !== 'probe' && entry?.kind !== 'digest') return session.reply(550, 'No such file');
    session.reply(213, String(entry.size));
  },
};

const mdtm: Spec = {
  handler(session, argument) {
    const entry = resolve(session, argument);
    if (entry?.kind !== 'probe' && entry?.kind !== 'digest') return session.reply(550, 'No such file');
    session.reply(213, ftpTimestamp(TREE_MTIME));
  },
};

/**
 * The text of a .sha256 file, or undefined after replying why not. Runs as a cancellable step of
 * RETR: ABOR, QUIT or the client leaving stops the job (docs/server.md, "Digest jobs").
 */
async function digestText(session: Session, probeSize: number, probeName: string): Promise<Buffer | undefined> {
  const digests = session.context.digests;
  if (probeSize > digests.maxSize) {
    session.reply(550, `No digest for ${probeName}: digests are computed up to ${formatSize(digests.maxSize)} (serve --max-digest-size)`);
    return undefined;
  }
  const controller = new AbortController();
  session.transfer = { command: 'RETR', preparing: true, abort: (reason) => controller.abort(reason) };
  const started = performance.now();
  try {
    const hex = await digests.digest(probeSize, controller.signal);
    return Buffer.from(digestFileText(hex, probeName));
  } catch (error) {
    if (error instanceof DigestCancelled) {
      session.log('info', 'digest-cancelled', { size: probeSize, reason: controller.signal.reason, seconds: Number(((performance.now() - started) / 1000).toFixed(3)) });
      session.reply(426, 'Transfer aborted');
    } else if (error instanceof DigestTooLarge) {
      session.reply(550, `No digest for ${probeName}: digests are computed up to ${formatSize(error.cap)} (serve --max-digest-size)`);
    } else {
      session.log('error', 'digest-failed', { size: probeSize, message: (error as Error).message });
      session.reply(451, 'Local error computing the digest');
    }
    return undefined;
  } finally {
    session.transfer = undefined;
  }
}

const retr: Spec = {
  async handler(session, argument) {
    const offset = session.restOffset;
    session.restOffset = 0;
    const entry = resolve(session, argument);
    if (entry?.kind !== 'probe' && entry?.kind !== 'digest') return session.reply(550, 'No such file (try /probe/10M)');
    if (offset > entry.size) return session.reply(554, `Restart offset ${offset} beyond the file size ${entry.size}`);
    // Cheap refusals before expensive work: no digest is computed for a client that cannot receive it.
    if (!session.passive && !session.active) return session.reply(425, 'Use PASV, EPSV, PORT or EPRT first');
    let segments: () => Iterable<Buffer>;
    if (entry.kind === 'probe') {
      segments = () => probeSegments(offset, entry.size);
    } else {
      const text = await digestText(session, entry.probeSize, entry.probeName);
      if (!text) return;
      segments = () => [text.subarray(offset)];
    }
    const remaining = entry.size - offset;
    await runTransfer(session, 'RETR', `Opening BINARY mode data connection for ${entry.name} (${remaining} bytes)`, async (data, signal, sampleNow, progress) => {
      const bytes = await sendSegments(data, segments(), signal, sampleNow, progress);
      return { bytes, reply: [226, `Transfer complete (${bytes} bytes)`] };
    });
  },
};

function store(append: boolean): Spec {
  return {
    async handler(session, argument) {
      session.restOffset = 0;
      const entry = resolve(session, argument);
      if (entry?.kind !== 'upload') return session.reply(553, 'Uploads go to /upload/<name>');
      await runTransfer(session, append ? 'APPE' : 'STOR', `Ok to send data for ${entry.name} (discarded)`, async (data, signal, sampleNow, progress) => {
        const { bytes, sha256 } = await receiveUpload(data, signal, session.options.maxUpload, sampleNow, progress);
        return { bytes, reply: [226, `Transfer complete: received ${bytes} bytes, SHA-256 ${sha256} (discarded)`] };
      });
    },
  };
}

function listing(kind: 'LIST' | 'NLST' | 'MLSD'): Spec {
  return {
    async handler(session, argument) {
      // "LIST -la" and friends: ls options name nothing here.
      const target = argument.split(/\s+/).filter((word) => word && !word.startsWith('-')).join(' ');
      const entry = resolve(session, target);
      if (!entry || entry.kind === 'upload') return session.reply(550, 'No such file or directory');
      if (kind === 'MLSD' && entry.kind !== 'dir') return session.reply(501, 'MLSD needs a directory');
      const text = Buffer.from(renderListing(kind, session.context.tree.children(entry)));
      await runTransfer(session, kind, `Here comes the directory listing`, async (data, signal, sampleNow, progress) => {
        const bytes = await sendSegments(data, [text], signal, sampleNow, progress);
        return { bytes, reply: [226, 'Directory send OK'] };
      });
    },
  };
}

const mlst: Spec = {
  handler(session, argument) {
    const entry = resolve(session, argument);
    if (!entry || entry.kind === 'upload') return session.reply(550, 'No such file or directory');
    session.replyBlock(250, 'Listing', [mlsdLine({ ...entry, name: entry.path } as TreeEntry).trimEnd()], 'End');
  },
};

const abor: Spec = {
  // Reached only when no transfer runs (a running one is aborted by the session directly).
  handler(session) {
    void session.passive?.close();
    session.passive = undefined;
    session.active = undefined;
    session.reply(225, 'No transfer to abort');
  },
};

const site: Spec = {
  async handler(session, argument) {
    const sub = argument.trim().toUpperCase();
    if (sub === 'HELP') return session.reply(214, 'SITE MPTCP: this server\'s view of your connections, as one line of JSON');
    if (sub !== 'MPTCP') return session.reply(502, 'Only SITE MPTCP and SITE HELP');
    const report = session.sampleControl();
    if (!report) return;
    const checksum = await readMptcpSysctl('checksum_enabled');
    const since = (session.loginAt ?? new Date()).toISOString();
    let counters: SiteMptcpView['counters'];
    try {
      if (!session.loginCounters) throw new Error('no counters at login');
      counters = { since, deltas: counterDeltas(session.loginCounters, await readMptcpCounters()) };
    } catch (error) {
      counters = { since, error: (error as Error).message };
    }
    const view: SiteMptcpView = {
      schema: SITE_MPTCP_SCHEMA,
      listener: session.context.listener,
      control: connectionView(report, session.handshake, checksum),
      data: session.lastData,
      counters,
    };
    session.reply(200, JSON.stringify(view));
  },
};

const auth: Spec = {
  beforeLogin: true,
  handler(session, argument) {
    const context = session.context.tlsContext;
    if (!context) return session.reply(502, 'TLS not configured (serve --tls-cert --tls-key)');
    if (session.tlsActive) return session.reply(503, 'Already using TLS');
    if (session.loggedIn) return session.reply(503, 'AUTH must come before login');
    if (!['TLS', 'TLS-C', 'SSL'].includes(argument.toUpperCase())) return session.reply(504, 'Only AUTH TLS');
    session.reply(234, 'Proceed with TLS negotiation');
    session.startTls(context, upgradeToTls);
    session.log('info', 'tls', {});
  },
};

const pbsz: Spec = {
  beforeLogin: true,
  handler(session) {
    if (!session.context.tlsContext) return session.reply(502, 'TLS not configured');
    if (!session.tlsActive) return session.reply(503, 'PBSZ needs AUTH TLS first');
    session.pbszSet = true;
    session.reply(200, 'PBSZ=0');
  },
};

const prot: Spec = {
  beforeLogin: true,
  handler(session, argument) {
    if (!session.context.tlsContext) return session.reply(502, 'TLS not configured');
    if (!session.tlsActive) return session.reply(503, 'PROT needs AUTH TLS first');
    const level = argument.toUpperCase();
    if (level === 'P' || level === 'C') {
      session.protection = level;
      return session.reply(200, `PROT now ${level === 'P' ? 'Private' : 'Clear'}`);
    }
    session.reply(level === 'S' || level === 'E' ? 536 : 504, 'Only PROT P and PROT C');
  },
};

export const COMMANDS: ReadonlyMap<string, Spec> = new Map<string, Spec>([
  ['USER', user], ['PASS', pass], ['SYST', syst], ['FEAT', feat], ['OPTS', opts], ['PWD', pwd], ['XPWD', pwd],
  ['CWD', cwd], ['CDUP', cdup], ['TYPE', type], ['MODE', mode], ['STRU', stru], ['PASV', pasv], ['EPSV', epsv],
  ['PORT', port], ['EPRT', eprt], ['LIST', listing('LIST')], ['NLST', listing('NLST')], ['MLSD', listing('MLSD')],
  ['MLST', mlst], ['SIZE', size], ['MDTM', mdtm], ['REST', rest], ['RETR', retr], ['STOR', store(false)],
  ['APPE', store(true)], ['ABOR', abor], ['NOOP', noop], ['HELP', help], ['QUIT', quit], ['SITE', site],
  ['AUTH', auth], ['PBSZ', pbsz], ['PROT', prot],
]);
