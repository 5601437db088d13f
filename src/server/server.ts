// startServer: the probe server in-process (the serve command, check's loopback self-test, tests).
// MPTCP listener first; when the kernel refuses MPTCP the listener is plain TCP and a warning event
// says why. Stopping is graceful: stop accepting, let transfers finish within a grace period.
import type net from 'node:net';
import { acceptedFd, listenMptcp } from '../net/listen.js';
import type { TcpReason } from '../native/index.js';
import { describeTcpReason, readSocketProtocol } from '../native/index.js';
import { COMMANDS } from './commands.js';
import { DigestService } from './digest-cache.js';
import { handshakeWitness } from './handshake-witness.js';
import { canonicalAddress, ConnectionLimits } from './limits.js';
import { makeEvent, type ServerEvent } from './logger.js';
import { resolveServerOptions, type ServerOptions } from './options.js';
import { Session, type ServerContext } from './session.js';
import { createTlsContext, upgradeToTls } from './tls-layer.js';
import { SyntheticTree } from './tree.js';

export interface ProbeServer {
  address: string;
  port: number;
  family: 4 | 6;
  /** 'tcp' when the kernel refused MPTCP (see `tcpReason`) or TCP was asked for. */
  socket: 'mptcp' | 'tcp';
  tcpReason?: TcpReason;
  options: ServerOptions;
  /** Control connections open now. */
  clients(): number;
  /** Stop accepting; let transfers finish for up to `graceMs` (default 10 s), then close everything. */
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_GRACE_MS = 10_000;

export async function startServer(input: Partial<ServerOptions> = {}): Promise<ProbeServer> {
  const options = resolveServerOptions(input);
  const log = (event: ServerEvent) => {
    try {
      options.logger?.(event);
    } catch {
      // A failing log sink must not take the server down.
    }
  };
  let stopping = false;
  const context: ServerContext = {
    options,
    tree: new SyntheticTree(options.maxProbeSize),
    digests: new DigestService({ maxSize: options.maxDigestSize }),
    tlsContext: options.tls ? createTlsContext(options.tls) : undefined,
    listener: { socket: 'mptcp' },
    log,
    stopping: () => stopping,
  };
  const limits = new ConnectionLimits(options.maxClients, options.maxClientsPerAddress);
  const sessions = new Set<Session>();
  let nextId = 1;

  const onConnection = (socket: net.Socket) => {
    socket.on('error', () => undefined);
    const peer = canonicalAddress(socket.remoteAddress);
    const fd = acceptedFd(socket);
    // Before anything else: the witness orders counter increments against accepts.
    const handshake = handshakeWitness.observe(fd === undefined ? undefined : readSocketProtocol(fd), context.listener.socket);
    const id = nextId++;
    const admission = stopping ? { ok: false as const, reason: 'server shutting down' } : limits.admit(peer);
    if (!admission.ok) {
      log(makeEvent('warn', 'refused', { session: id, client: peer, reason: admission.reason }));
      socket.end(`421 ${admission.reason}, try again later\r\n`);
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    const session = new Session(id, socket, fd, handshake, context, COMMANDS);
    sessions.add(session);
    session.onClose(() => {
      sessions.delete(session);
      admission.release();
    });
    // Implicit FTPS: the client's first bytes are its ClientHello; the greeting waits for the handshake.
    if (options.tlsImplicit && context.tlsContext) session.startTls(context.tlsContext, upgradeToTls);
    const created = session.sampleControl()?.socket;
    log(makeEvent('info', 'connect', { session: id, client: peer, socket: created, mpCapableReceived: handshake.mpCapableReceived }));
    session.reply(220, `${options.banner} ready (anonymous login; SITE MPTCP shows this server's view)`);
  };

  handshakeWitness.ensureBaseline();
  const listener = await listenMptcp(
    { host: options.host, port: options.port, tcp: options.tcp, bufferSizes: options.bufferSizes },
    onConnection,
  );
  listener.server.on('error', (error) => log(makeEvent('error', 'listener-error', { message: error.message })));
  const tcpReason = listener.created.socket === 'tcp' ? listener.created.reason : undefined;
  context.listener = { socket: listener.created.socket, ...(tcpReason ? { reason: tcpReason } : {}) };
  if (tcpReason && tcpReason !== 'forced') {
    log(makeEvent('warn', 'mptcp-unavailable', { message: `listening with plain TCP: ${describeTcpReason(tcpReason)}` }));
  }
  log(makeEvent('info', 'listening', { address: listener.address, port: listener.port, socket: listener.created.socket }));

  let closing: Promise<void> | undefined;
  const close = (graceMs = DEFAULT_GRACE_MS): Promise<void> => {
    closing ??= (async () => {
      stopping = true;
      log(makeEvent('info', 'stopping', { sessions: sessions.size, graceMs }));
      const listenerClosed = listener.close();
      for (const session of sessions) {
        if (!session.busy) session.disconnect(421, 'Server shutting down', 'shutdown');
      }
      // Sessions with a transfer close themselves when it ends (Session.runQueue checks stopping()).
      const deadline = Date.now() + graceMs;
      while (sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const session of sessions) {
        session.disconnect(421, 'Server shutting down', 'shutdown');
        session.destroy();
      }
      await listenerClosed;
      await context.digests.close();
      log(makeEvent('info', 'stopped', {}));
    })();
    return closing;
  };

  return {
    address: listener.address,
    port: listener.port,
    family: listener.family,
    socket: listener.created.socket,
    tcpReason,
    options,
    clients: () => sessions.size,
    close,
  };
}
