// conns and watch against traffic from programs nobody here wrote: vsftpd under mptcpize, curl and
// lftp under mptcpize and bare, in a routed lab with two client links. conns is checked against
// `ss -Mni`/`ss -tni` field by field; watch against what the kernel must announce: a path joining,
// addresses announced and removed, a subflow reset by the peer, a join refused by the server's
// limits, a subflow dying with its link.
//
// Every transfer is throttled by vsftpd itself (anon_max_rate): curl 7.88's --limit-rate does not
// hold an FTP download back (4 MiB "at 50k" finished in 1.3-3.2 s in 7 of 8 runs here), and a
// connection that ends early turns every later step of a test into a race.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEntry, startVsftpd, type Lab, type LabProcess } from '../lab/index.js';
import { useLab } from '../lab/vitest.js';
import { missingRequirement } from '../support/gate.js';

const skip = missingRequirement('conns/watch e2e', 'root', 'netns', 'tool:vsftpd', 'tool:mptcpize', 'tool:curl', 'tool:lftp', 'tool:ss', 'tool:setpriv', 'tool:tc');

/** vsftpd's own rate limit per session (bytes/s): a 4 MiB download lasts about two minutes. */
const THROTTLE = { anon_max_rate: '32768' };

interface ConnsJson {
  schema: string;
  connections: Array<{
    socket: string; state: string; fallback?: string; accepted: boolean; local: { address: string; port: number };
    remote: { address: string; port: number }; token?: string; subflowCount: number; listener?: string;
    tcpState: string; subflows: Array<{ local: { address: string; port: number } }>;
    processes: Array<{ pid: number; command: string }>;
  }>;
  listeners: Array<{ id: string; kind: string; connections: number; mptcp: number; fallbacks: number; handshakeFallbacks: number; processes: Array<{ command: string }> }>;
  processes: Array<{ command: string; connections: number; mptcp: number; fallbacks: number }>;
}

interface EventJson {
  type: string; token?: number; localAddress?: string; localPort?: number; remoteAddress?: string; remotePort?: number;
  error?: number; resetReason?: number; resetReasonText?: string;
}

interface WatchLine {
  schema: string;
  type: string;
  event?: EventJson;
  deltas?: Record<string, number>;
  explanations?: Record<string, string>;
  connection?: { process?: { command: string } };
}

interface SsSocket { state: string; local: string; peer: string; token?: number; fallback: boolean; subflows: number; ulpMptcp: boolean; bytesAcked: number }

/** `ss -Mni` / `ss -tni` output: a state line, then an indented detail line. */
function parseSs(text: string): SsSocket[] {
  const lines = text.split('\n').slice(1);
  const sockets: SsSocket[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = lines[i]!.trim().split(/\s+/);
    if (head.length < 5 || !/^[A-Z-]+/.test(head[0]!)) continue;
    const detail = (lines[i + 1] ?? '').startsWith('\t') || (lines[i + 1] ?? '').startsWith(' ') ? lines[i + 1]! : '';
    const token = / token:([0-9a-f]+)/.exec(detail);
    const subflows = /subflows:(\d+)/.exec(detail);
    const acked = /bytes_acked:(\d+)/.exec(detail);
    sockets.push({
      state: head[0]!, local: head[3]!, peer: head[4]!,
      ...(token ? { token: parseInt(token[1]!, 16) } : {}),
      fallback: / fallback/.test(detail),
      subflows: subflows ? Number(subflows[1]) : 0,
      ulpMptcp: detail.includes('tcp-ulp-mptcp'),
      bytesAcked: acked ? Number(acked[1]) : 0,
    });
  }
  return sockets;
}

const endpoint = (e: { address: string; port: number }) => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);

async function conns(lab: Lab, ns: 'client' | 'server', args: string[] = []): Promise<ConnsJson> {
  const r = await lab.runNode(ns, ['conns', '--json', ...args]);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ConnsJson;
}

function describeEnd(p: LabProcess): string {
  return `\`${p.argv.join(' ')}\` exited early (${p.stderr.trim().split('\n').slice(-2).join(' | ') || 'no output'})`;
}

/**
 * Polls `probe` every 100 ms until it returns something other than undefined. Fails at once when
 * one of `alive` has exited (a client that ended early would make the wait pointless), and after
 * `timeoutMs` with `what` in the message.
 */
async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, alive: LabProcess[] = []): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const ended = alive.find((p) => p.exited);
    if (ended) throw new Error(`waiting for ${what}: ${describeEnd(ended)}`);
    if (Date.now() > deadline) throw new Error(`no ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The complete NDJSON lines a `watch --json` has printed so far. */
function watchLines(watch: LabProcess): WatchLine[] {
  const text = watch.stdout;
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as WatchLine);
}

function waitForLine(watch: LabProcess, what: string, match: (line: WatchLine) => boolean, timeoutMs: number, alive: LabProcess[] = []): Promise<WatchLine> {
  return waitUntil(what, timeoutMs, () => watchLines(watch).find(match), [watch, ...alive]);
}

const isEvent = (type: string, match: (e: EventJson) => boolean = () => true) => (line: WatchLine) => line.type === 'event' && line.event?.type === type && match(line.event);

/** `mptcp-doctor watch --json` in a namespace, once it has joined the event group. */
async function startWatch(lab: Lab, ns: 'client' | 'server'): Promise<LabProcess> {
  const watch = lab.spawnNode(ns, ['watch', '--json', '--verbose', '--interval', '0.3', '--duration', '90']);
  await watch.waitForOutput('watching MPTCP events', 30_000);
  return watch;
}

/** lftp downloading `url`'s big.bin into /dev/null (clobber: /dev/null exists). */
function lftpArgv(url: string): string[] {
  return ['lftp', '-e', 'set xfer:clobber on; set net:max-retries 1; get big.bin -o /dev/null; quit', url];
}

describe.skipIf(skip)('conns and watch in the lab', () => {
  const lab = useLab({ topology: 'routed', links: 2 });

  it('conns counts vsftpd\'s MPTCP and fallen-back clients (curl, lftp) exactly, IPv4 and IPv6, and a plain listener, as ss sees them', async () => {
    const l = lab();
    const files = { 'big.bin': 4 << 20 };
    const v4 = await startVsftpd(l, { mptcp: true, files, config: THROTTLE });
    const v6 = await startVsftpd(l, { mptcp: true, address: l.addresses.server.v6!, port: 2121, files, config: THROTTLE });
    const plain = await startVsftpd(l, { mptcp: false, port: 2100, files, config: THROTTLE });
    const quiet = ['-sS', '-o', '/dev/null'];
    const clients: LabProcess[] = [
      l.spawn('client', ['mptcpize', 'run', 'curl', ...quiet, v4.url('big.bin')]),
      l.spawn('client', ['mptcpize', 'run', 'curl', ...quiet, v4.url('big.bin')]),
      l.spawn('client', ['mptcpize', 'run', ...lftpArgv(v4.url())]),
      l.spawn('client', ['curl', ...quiet, v4.url('big.bin')]),
      l.spawn('client', lftpArgv(v4.url())),
      l.spawn('client', ['mptcpize', 'run', 'curl', ...quiet, v6.url('big.bin')]),
      l.spawn('client', ['curl', ...quiet, plain.url('big.bin')]),
    ];
    try {
      // Each client holds its control connection while vsftpd trickles the file. Wait until ss
      // sees every control connection: MPTCP ones in the MPTCP table, plain ones as TCP sockets
      // without the mptcp ULP (subflows have it).
      const count = async (table: '-Mni' | '-tni', port: number, plainOnly: boolean) => {
        const r = await l.exec('server', ['ss', table]);
        return parseSs(r.stdout).filter((x) => x.state === 'ESTAB' && x.local.endsWith(`:${port}`) && (!plainOnly || !x.ulpMptcp)).length;
      };
      const expected: Array<['-Mni' | '-tni', number, boolean, number]> = [['-Mni', 21, false, 3], ['-tni', 21, true, 2], ['-Mni', 2121, false, 1], ['-tni', 2100, true, 1]];
      for (const [table, port, plainOnly, wanted] of expected) {
        await waitUntil(`${wanted} connections in ss ${table} on :${port}`, 30_000, async () => ((await count(table, port, plainOnly)) >= wanted ? true : undefined), clients);
      }
      const server = await conns(l, 'server');
      expect(server.schema).toBe('mptcp-doctor/conns/v1');
      const listener = (id: string) => server.listeners.find((x) => x.id === id)!;
      expect(listener(`mptcp ${l.addresses.server.v4}:21`)).toMatchObject({ connections: 5, mptcp: 3, fallbacks: 2, handshakeFallbacks: 2 });
      expect(listener(`mptcp [${l.addresses.server.v6}]:2121`)).toMatchObject({ connections: 1, mptcp: 1, fallbacks: 0 });
      expect(listener(`tcp ${l.addresses.server.v4}:2100`)).toMatchObject({ kind: 'tcp', connections: 1 });
      for (const id of [`mptcp ${l.addresses.server.v4}:21`, `mptcp [${l.addresses.server.v6}]:2121`, `tcp ${l.addresses.server.v4}:2100`]) {
        expect(listener(id).processes.map((p) => p.command)).toContain('vsftpd');
      }
      expect(server.connections.filter((c) => c.listener?.endsWith(':21')).every((c) => c.processes[0]?.command === 'vsftpd')).toBe(true);

      // Field by field against ss: every MPTCP socket, its token, fallback flag and extra subflows.
      const ss = parseSs((await l.exec('server', ['ss', '-Mni'], { check: true })).stdout).filter((s) => !s.peer.endsWith(':*'));
      const mine = server.connections.filter((c) => c.socket === 'mptcp');
      expect(mine).toHaveLength(ss.length);
      for (const s of ss) {
        const c = mine.find((x) => endpoint(x.local) === s.local && endpoint(x.remote) === s.peer);
        expect(c, `conns has ${s.local} -> ${s.peer}`).toBeDefined();
        expect(parseInt(c!.token!, 16)).toBe(s.token);
        expect(c!.state === 'fallback').toBe(s.fallback);
        expect(c!.subflowCount).toBe(s.subflows + 1);
      }
      const plainOn21 = parseSs((await l.exec('server', ['ss', '-tni'], { check: true })).stdout)
        .filter((s) => s.state === 'ESTAB' && s.local.endsWith(':21') && !s.ulpMptcp);
      expect(plainOn21).toHaveLength(listener(`mptcp ${l.addresses.server.v4}:21`).handshakeFallbacks);

      // The client side: curl's and lftp's control connections, all still MPTCP, named by program.
      const client = await conns(l, 'client', ['--port', '21']);
      expect(client.connections.every((c) => c.state === 'mptcp')).toBe(true);
      expect(client.connections.map((c) => c.processes[0]?.command).sort()).toEqual(['curl', 'curl', 'lftp']);
      expect(client.processes.map((p) => [p.command, p.connections, p.mptcp])).toEqual([['curl', 2, 2], ['lftp', 1, 1]]);
      const fallbacksOnly = await conns(l, 'server', ['--state', 'fallback', '--port', '21']);
      expect(fallbacksOnly.connections.map((c) => c.socket)).toEqual(['tcp', 'tcp']);

      // --output writes the same report to a file (atomically), nothing to stdout: for a textfile collector.
      const prom = join(l.tmpDir, 'conns.prom');
      const written = await l.runNode('server', ['conns', '--format', 'prometheus', '--output', prom, '--port', '21']);
      expect([written.exitCode, written.stdout]).toEqual([0, '']);
      const printed = await l.runNode('server', ['conns', '--format', 'prometheus', '--port', '21']);
      expect(readFileSync(prom, 'utf8')).toBe(printed.stdout);
      expect(printed.stdout).toMatch(/fallback/);

      // check's listeners.mptcp says the same about the server's services (vsftpd's passive data
      // listeners, MPTCP or not like their server, come and go beside them).
      const check = await l.runNode('server', ['check', '--only', 'listeners.mptcp', '--json']);
      const result = (JSON.parse(check.stdout) as { checks: Array<{ id: string; status: string; evidence: string[] }> }).checks[0]!;
      expect(result).toMatchObject({ id: 'listeners.mptcp', status: 'pass' });
      expect(result.evidence).toEqual(expect.arrayContaining([
        `MPTCP     ${l.addresses.server.v4}:21 vsftpd`,
        `MPTCP     [${l.addresses.server.v6}]:2121 vsftpd`,
        `plain TCP ${l.addresses.server.v4}:2100 vsftpd`,
      ]));
      expect(result.evidence.filter((line) => !line.endsWith(' vsftpd'))).toEqual([]);
    } finally {
      for (const c of clients) await c.stop();
      await Promise.all([v4.stop(), v6.stop(), plain.stop()]);
    }
  }, 120_000);

  it('watch shows the second path joining, a signal endpoint announced and removed, and a reset with its reason', async () => {
    const l = lab();
    const ftp = await startVsftpd(l, { mptcp: true, port: 2200, files: { 'big.bin': 4 << 20 }, config: THROTTLE });
    const watch = await startWatch(l, 'client');
    const extra = l.addresses.server.v4.replace(/\.2$/, '.3');
    const link2 = l.link(2).client.v4;
    const curl = l.spawn('client', ['mptcpize', 'run', 'curl', '-sS', '-o', '/dev/null', ftp.url('big.bin')]);
    try {
      const joined = await waitForLine(watch, 'sub_established over link 2', isEvent('sub_established', (e) => e.localAddress === link2), 15_000, [curl]);
      // The connection's first lines already name its program: they wait for the lookup.
      const first = watchLines(watch).filter((x) => x.type === 'event' && x.event?.token === joined.event!.token && ['created', 'established'].includes(x.event?.type ?? ''));
      expect(first.map((x) => [x.event!.type, x.connection?.process?.command])).toEqual([['created', 'curl'], ['established', 'curl']]);

      await l.exec('server', ['ip', 'addr', 'add', `${extra}/24`, 'dev', 's0'], { check: true });
      await l.exec('server', ['ip', 'mptcp', 'endpoint', 'add', extra, 'signal'], { check: true });
      await waitForLine(watch, `announced ${extra}`, isEvent('announced', (e) => e.remoteAddress === extra), 10_000, [curl]);
      await l.exec('server', ['ip', 'mptcp', 'endpoint', 'flush'], { check: true });
      await waitForLine(watch, 'removed', isEvent('removed'), 10_000, [curl]);

      // Kill the server's end of the second path's subflow: the client sees it reset, with a reason.
      await l.exec('server', ['ss', '-K', 'dst', link2, 'sport', '= :2200'], { check: true });
      const reset = await waitForLine(watch, 'sub_closed with a reset reason', isEvent('sub_closed', (e) => e.resetReason !== undefined), 10_000, [curl]);
      expect(reset.event!.localAddress).toBe(link2);
      expect(reset.event!.resetReasonText).toBe('unspecified error');
      expect(reset.connection?.process?.command).toBe('curl');
    } finally {
      await curl.stop();
      await watch.stop();
      await ftp.stop();
    }
    const lines = watchLines(watch);
    expect(lines.every((x) => x.schema === 'mptcp-doctor/watch/v1')).toBe(true);
    expect(lines.filter((x) => x.type === 'loss')).toEqual([]);
  }, 120_000);

  it('watch without CAP_NET_ADMIN says so in one line and reports counters only', async () => {
    const l = lab();
    const ftp = await startVsftpd(l, { mptcp: true, port: 2300, files: { 'small.bin': 100_000 } });
    try {
      // Root without CAP_NET_ADMIN (not another user: a checkout only root may read must still run).
      const watch = l.spawn('client', ['setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin',
        process.execPath, cliEntry,
        'watch', '--interval', '0.3', '--duration', '4']);
      await watch.waitForOutput('CAP_NET_ADMIN', 10_000);
      await l.exec('client', ['mptcpize', 'run', 'curl', '-s', '-o', '/dev/null', ftp.url('small.bin')], { check: true });
      const end = await watch.done;
      expect(end.exitCode).toBe(0);
      expect(end.stderr.split('\n').filter((x) => x.includes('CAP_NET_ADMIN'))).toEqual([
        'mptcp-doctor: MPTCP events need CAP_NET_ADMIN (run as root): watching the MPTcpExt counters only',
      ]);
      const lines = end.stdout.trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((x) => /^\d\d:\d\d:\d\d\.\d{3}\s+counter\s/.test(x) || /^\s{20,}\S/.test(x))).toBe(true);
      expect(end.stdout).toMatch(/MPCapableSYNACKRX \+\d: \d outgoing connections? got\s+MP_CAPABLE/);
    } finally {
      await ftp.stop();
    }
  }, 60_000);
});

describe.skipIf(skip)('watch when a path fails', () => {
  const lab = useLab({ topology: 'routed', links: 2 });

  it('a join refused by the server\'s limits: the client sees the join close at once, the server counts the refusal and names the reason it sends', async () => {
    const l = lab();
    await l.exec('server', ['ip', 'mptcp', 'limits', 'set', 'subflows', '0', 'add_addr_accepted', '0'], { check: true });
    const ftp = await startVsftpd(l, { mptcp: true, port: 2400, files: { 'big.bin': 4 << 20 }, config: THROTTLE });
    const [clientWatch, serverWatch] = await Promise.all([startWatch(l, 'client'), startWatch(l, 'server')]);
    const link2 = l.link(2).client.v4;
    const curl = l.spawn('client', ['mptcpize', 'run', 'curl', '-sS', '-o', '/dev/null', ftp.url('big.bin')]);
    try {
      const closed = await waitForLine(clientWatch, 'sub_closed of the join over link 2', isEvent('sub_closed', (e) => e.localAddress === link2 && e.remotePort === 2400), 20_000, [curl]);
      const joined = watchLines(clientWatch).find(isEvent('sub_established', (e) => e.localPort === closed.event!.localPort));
      expect(joined, 'the join completed its handshake on the client before it closed').toBeDefined();
      // Linux 6.18 refuses the join at its third ACK with an RST carrying MP_TCPRST "administratively
      // prohibited". The client's join is not fully established yet, so its kernel takes that RST
      // for an invalid packet and resets the subflow itself: neither error nor reason reaches the
      // event (docs/kernel-observation.md). The server's counter is where the refusal shows.
      expect(closed.event!.error).toBeUndefined();
      expect(closed.event!.resetReason).toBeUndefined();
      const refused = await waitForLine(serverWatch, 'MPJoinRejected on the server', (x) => x.type === 'counters' && (x.deltas?.MPJoinRejected ?? 0) > 0, 10_000, [curl]);
      expect(refused.explanations!.MPJoinRejected).toMatch(/subflows limit.*MP_TCPRST "administratively prohibited"/);
      await waitForLine(clientWatch, 'MPRstTx on the client', (x) => x.type === 'counters' && (x.deltas?.MPRstTx ?? 0) > 0, 10_000, [curl]);
      // The connection itself stays MPTCP on its first path.
      const client = await conns(l, 'client', ['--port', '2400']);
      expect(client.connections.map((c) => [c.state, c.subflowCount])).toEqual([['mptcp', 1]]);
      expect(watchLines(clientWatch).filter((x) => x.deltas?.MPRstRx !== undefined)).toEqual([]);
    } finally {
      await curl.stop();
      await Promise.all([clientWatch.stop(), serverWatch.stop()]);
      await ftp.stop();
      await l.exec('server', ['ip', 'mptcp', 'limits', 'set', 'subflows', '2', 'add_addr_accepted', '2'], { check: true });
    }
  }, 120_000);

  it('a link going down during a two-path upload: sub_closed for its subflow, with the error, and the transfer goes on', async () => {
    const l = lab();
    // TCP gives up on a dead path after tcp_retries2 retransmissions (15 by default: about 15
    // minutes). 3 makes it about 3 s; per namespace, so only this lab's client is affected.
    await l.sysctl('client', { 'net.ipv4.tcp_retries2': 3 });
    // Both paths narrower than the upload: each subflow always has data in flight, so the one on
    // the link that goes down has something to retransmit, and times out.
    await l.shape(1, { rateMbit: 4, direction: 'up' });
    await l.shape(2, { rateMbit: 4, direction: 'up' });
    const ftp = await startVsftpd(l, { mptcp: true, port: 2500, upload: true });
    const watch = await startWatch(l, 'client');
    const link2 = l.link(2).client.v4;
    const curl = l.spawn('client', ['mptcpize', 'run', 'curl', '-sS', '-T', '/dev/zero', ftp.url('upload/zero.bin')]);
    let linkDown = false;
    try {
      // The data connection (to a passive port, not 2500) gets its second subflow over link 2.
      const joined = await waitForLine(watch, 'the data connection\'s join over link 2', isEvent('sub_established', (e) => e.localAddress === link2 && e.remotePort !== 2500), 20_000, [curl]);
      const port = joined.event!.localPort!;
      await waitUntil('256 KiB acknowledged on the link 2 subflow', 20_000, async () => {
        const sockets = parseSs((await l.exec('client', ['ss', '-tni', 'sport', `= :${port}`])).stdout);
        return sockets.some((s) => s.bytesAcked > 256 * 1024) ? true : undefined;
      }, [curl]);

      await l.linkDown(2);
      linkDown = true;
      const closed = await waitForLine(watch, `sub_closed for ${link2}:${port}`, isEvent('sub_closed', (e) => e.localPort === port), 30_000, [curl]);
      expect(closed.event).toMatchObject({ localAddress: link2, token: joined.event!.token });
      // ETIMEDOUT, or the unreachable error the last retransmission met (sk_err_soft wins).
      expect([110, 113, 101]).toContain(closed.event!.error);
      expect(closed.connection?.process?.command).toBe('curl');

      // MPTCP carries on over link 1: the connection is still up, with one subflow left.
      const remotePort = joined.event!.remotePort!;
      const after = await conns(l, 'client', ['--port', String(remotePort)]);
      expect(after.connections.map((c) => [c.state, c.tcpState, c.subflows.map((s) => s.local.address)])).toEqual([['mptcp', 'established', [l.link(1).client.v4]]]);
      expect(curl.exited).toBe(false);
    } finally {
      await curl.stop();
      await watch.stop();
      await ftp.stop();
      if (linkDown) await l.linkUp(2);
      await Promise.all([l.unshape(1), l.unshape(2)]);
      await l.sysctl('client', { 'net.ipv4.tcp_retries2': 15 });
    }
  }, 120_000);
});
