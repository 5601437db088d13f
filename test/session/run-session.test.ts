// runSession against our own server on 127.0.0.1, in this process: the records it returns for the
// control and data connections (real MPTCP sockets, sampled from the kernel at each FTP step), the
// far end's view, the counters cut when the client gives up, and the findings computed from them.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseSiteMptcpReply } from '../../src/protocol/site-mptcp.js';
import { startServer, type ProbeServer } from '../../src/server/index.js';
import { stallFinding } from '../../src/session/findings.js';
import { runSession, type SessionContext, type SessionOptions } from '../../src/session/session.js';

const MIB = 1 << 20;

/** Counts what arrives; `delayMs` makes it a reader that drains slowly (backpressure). */
function countingSink(delayMs = 0): Writable & { bytes: number } {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      sink.bytes += chunk.length;
      if (delayMs > 0) setTimeout(done, delayMs);
      else done();
    },
  }) as Writable & { bytes: number };
  sink.bytes = 0;
  return sink;
}

async function farEndView(context: SessionContext) {
  const reply = await context.client.sendCommand('SITE MPTCP');
  expect(reply.code).toBe(200);
  return parseSiteMptcpReply(reply.lines.join('\n'));
}

describe('runSession on loopback', () => {
  let server: ProbeServer;
  let tcpServer: ProbeServer;
  beforeAll(async () => {
    server = await startServer({ host: '127.0.0.1', port: 0 });
    tcpServer = await startServer({ host: '127.0.0.1', port: 0, tcp: true });
  });
  afterAll(async () => {
    await Promise.all([server?.close(0), tcpServer?.close(0)]);
  });

  const options = (overrides: Partial<SessionOptions> & { port?: number; tcp?: boolean } = {}): SessionOptions => {
    const { port, tcp, ...rest } = overrides;
    return {
      target: { host: '127.0.0.1', port: port ?? server.port, user: 'anonymous', password: 'session-test', security: 'none', ...(tcp ? { tcp } : {}) },
      mode: 'epsv',
      timeouts: { connectMs: 5000, replyMs: 10_000, idleMs: 10_000, maxMs: 30_000 },
      sampleIntervalMs: 50,
      pathManager: { endpoints: [] },
      ...rest,
    };
  };

  test('a passive download: the control and the data connection, both MPTCP, sampled at each step, with the far end view', async () => {
    const sink = countingSink();
    const outcome = await runSession(options(), async (context) => {
      const result = await context.sampled('transfer', () => context.client.download('/probe/1M', sink));
      context.setFarEndView(await farEndView(context), context.lastData());
      return result;
    });
    expect(outcome.failure).toBeUndefined();
    expect(sink.bytes).toBe(MIB);
    expect(outcome).toMatchObject({ outcome: 'judged', farEnd: 'serve', heardReply: true, verdict: { status: 'held', cause: 'none' } });
    expect(outcome.greeting).toMatch(/^mptcp-doctor probe server ready/);

    const [control, data, ...more] = outcome.records;
    expect(more).toEqual([]);
    expect(control).toMatchObject({ label: 'control', role: 'control', purpose: 'control', socket: 'mptcp', opener: 'client', status: 'held', expectedSubflows: 1 });
    expect(data).toMatchObject({ label: 'data epsv', role: 'data', mode: 'epsv', purpose: 'transfer', socket: 'mptcp', opener: 'client', status: 'held' });
    // Sampled from the kernel at each FTP step, MPTCP every time, until the last report before close.
    expect(control!.samples.map((s) => s.phase)).toEqual(expect.arrayContaining(['connect', 'login', 'after-EPSV', 'end']));
    expect(data!.samples.map((s) => s.phase)).toEqual(expect.arrayContaining(['connect', 'transfer-start', 'end']));
    for (const record of outcome.records) {
      expect(record.samples.every((s) => s.state === 'mptcp' && s.subflows === 1)).toBe(true);
      expect(record.report).toMatchObject({ socket: 'mptcp', state: 'mptcp' });
    }
    // Samples are in time order and within the connection's life.
    const times = data!.samples.map((s) => s.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(data!.durationMs).toBeGreaterThanOrEqual(0);
    // The far end saw an MP_CAPABLE handshake on both, and describes the data connection of this transfer.
    expect(control!.server).toMatchObject({ socket: 'mptcp', state: 'mptcp', mpCapableReceived: true });
    expect(data!.server).toMatchObject({ socket: 'mptcp', state: 'mptcp', command: 'RETR', bytes: MIB });
  });

  test('active mode: the server opens the data connection, and its purpose names it', async () => {
    const outcome = await runSession(options({ mode: 'eprt' }), (context) =>
      context.sampled('checksum', () => context.client.download('/probe/1M.sha256', countingSink())),
    );
    expect(outcome.failure).toBeUndefined();
    expect(outcome.records.map((r) => [r.label, r.opener, r.purpose])).toEqual([
      ['control', 'client', 'control'],
      ['data eprt (checksum)', 'server', 'checksum'],
    ]);
    expect(outcome.records[1]!.socket).toBe('mptcp');
    expect(outcome.records[1]!.samples.at(-1)!.state).toBe('mptcp');
    // A connection the server opened can only get extra subflows from the server's endpoints: one is expected.
    expect(outcome.records[1]!.expectedSubflows).toBe(1);
  });

  test('a subflow endpoint of ours raises the subflows expected of the connections we open', async () => {
    const endpoint = { id: 2, address: '10.254.0.1', family: 4 as const, flags: ['subflow'] };
    const outcome = await runSession(options({ pathManager: Promise.resolve({ endpoints: [endpoint] as never, limits: { subflows: 2, addAddrAccepted: 0 } as never }) }), (context) =>
      context.sampled('transfer', () => context.client.download('/probe/1M', countingSink())),
    );
    expect(outcome.records.map((r) => r.expectedSubflows)).toEqual([2, 2]);
    // No join was attempted (the endpoint is not on this host): one subflow, and no failure to blame.
    expect(outcome.records.map((r) => [r.samples.at(-1)!.subflows, r.status])).toEqual([
      [1, 'held'],
      [1, 'held'],
    ]);
  });

  test('--tcp: plain TCP sockets on both connections, recorded as TCP and not blamed on the path', async () => {
    const outcome = await runSession(options({ tcp: true }), (context) =>
      context.sampled('transfer', () => context.client.download('/probe/1M', countingSink())),
    );
    expect(outcome.failure).toBeUndefined();
    expect(outcome.records.map((r) => [r.socket, r.status, r.cause])).toEqual([
      ['tcp', 'not-attempted', 'none'],
      ['tcp', 'not-attempted', 'none'],
    ]);
    expect(outcome.records.every((r) => r.samples.every((s) => s.state === 'tcp'))).toBe(true);
  });

  test('a server that only listens on plain TCP: our MPTCP connections fall back at the handshake', async () => {
    const outcome = await runSession(options({ port: tcpServer.port }), (context) =>
      context.sampled('transfer', () => context.client.download('/probe/1M', countingSink())),
    );
    expect(outcome.records.map((r) => [r.socket, r.samples[0]!.state, r.status])).toEqual([
      ['mptcp', 'fallback', 'fell-back'],
      ['mptcp', 'fallback', 'fell-back'],
    ]);
  });

  test('a refusal: the failure names the stage, the counters are cut there, and it is not a verdict', async () => {
    const outcome = await runSession(options(), (context) => context.sampled('transfer', () => context.client.download('/probe/no-such-size', countingSink())));
    expect(outcome.failure).toMatchObject({ kind: 'not-found', stage: 'transfer' });
    expect(outcome.outcome).toBe('could-not-run');
    expect(outcome.gaveUp?.reason).toBe(outcome.failure!.message);
    expect(outcome.records[0]!.role).toBe('control');
  });

  test('the time limit: the session gives up with the limit as its reason, cutting the counters before its own teardown', async () => {
    const started = Date.now();
    const outcome = await runSession(options({ timeouts: { connectMs: 5000, replyMs: 10_000, idleMs: 10_000, maxMs: 1500 } }), (context) =>
      // A reader that drains 64 KiB every 50 ms: 1 GiB would take minutes.
      context.sampled('transfer', () => context.client.download('/probe/1G', countingSink(50))),
    );
    expect(outcome.failure).toMatchObject({ kind: 'timeout', stage: 'transfer', message: 'the time limit (2 s) ran out' });
    expect(outcome.gaveUp).toMatchObject({ reason: 'the time limit (2 s) ran out' });
    expect(outcome.gaveUp!.atMs).toBeGreaterThanOrEqual(1400);
    expect(outcome.gaveUp!.atMs).toBeLessThanOrEqual(Date.now() - started);
    // The data connection was sampled while the 1 GiB moved.
    const data = outcome.records.find((r) => r.role === 'data')!;
    expect(data.samples.filter((s) => s.phase === 'transfer').length).toBeGreaterThan(5);
    // Aborting our sockets sent MP_FASTCLOSE and a reset: counted after the cut, shown, never evidence.
    expect(outcome.counters.clientAfterGiveUp?.mptcp.MPFastcloseTx).toBeGreaterThanOrEqual(1);
    expect(outcome.counters.clientAfterGiveUp?.mptcp.MPRstTx).toBeGreaterThanOrEqual(1);
  });

  test('an interrupt (the caller aborts): given up as "interrupted"', async () => {
    const controller = new AbortController();
    // Abort once data moves, so there is a data connection to tear down.
    const observer = { onDataStart: () => controller.abort() };
    const outcome = await runSession(options({ signal: controller.signal, observer }), (context) =>
      context.sampled('transfer', () => context.client.download('/probe/1G', countingSink(50))),
    );
    expect(outcome.failure?.kind).toBe('aborted');
    expect(outcome.gaveUp?.reason).toBe('interrupted');
  });

  test('findings are the stall rule applied to the counters that are evidence', async () => {
    const outcome = await runSession(options(), (context) => context.sampled('transfer', () => context.client.download('/probe/10M', countingSink())));
    expect(outcome.failure).toBeUndefined();
    const stall = stallFinding(outcome.counters.client);
    expect(outcome.findings).toEqual(stall ? [stall.text] : []);
  });
});
