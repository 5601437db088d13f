// conns and watch against traffic from programs nobody here wrote: vsftpd under mptcpize, curl
// under mptcpize and bare, in a routed lab with two client links. conns is checked against
// `ss -Mni`/`ss -tni` field by field; watch against what the kernel must announce.
import { describe, expect, it } from 'vitest';
import { cliEntry, startVsftpd, type Lab, type LabProcess } from '../lab/index.js';
import { useLab } from '../lab/vitest.js';
import { missingRequirement } from '../support/gate.js';

const skip = missingRequirement('conns/watch e2e', 'root', 'netns', 'tool:vsftpd', 'tool:mptcpize', 'tool:curl', 'tool:ss', 'tool:setpriv');

interface ConnsJson {
  schema: string;
  connections: Array<{
    socket: string; state: string; fallback?: string; accepted: boolean; local: { address: string; port: number };
    remote: { address: string; port: number }; token?: string; subflowCount: number; listener?: string;
    processes: Array<{ pid: number; command: string }>;
  }>;
  listeners: Array<{ id: string; kind: string; connections: number; mptcp: number; fallbacks: number; handshakeFallbacks: number; processes: Array<{ command: string }> }>;
  processes: Array<{ command: string; connections: number; fallbacks: number }>;
}

interface SsSocket { state: string; local: string; peer: string; token?: number; fallback: boolean; subflows: number; ulpMptcp: boolean }

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
    sockets.push({
      state: head[0]!, local: head[3]!, peer: head[4]!,
      ...(token ? { token: parseInt(token[1]!, 16) } : {}),
      fallback: / fallback/.test(detail),
      subflows: subflows ? Number(subflows[1]) : 0,
      ulpMptcp: detail.includes('tcp-ulp-mptcp'),
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

describe.skipIf(skip)('conns and watch in the lab', () => {
  const lab = useLab({ topology: 'routed', links: 2 });

  it('conns counts vsftpd\'s MPTCP and fallen-back clients exactly, IPv4 and IPv6, and a plain listener, as ss sees them', async () => {
    const l = lab();
    const v4 = await startVsftpd(l, { mptcp: true, files: { 'big.bin': 4 << 20 } });
    const v6 = await startVsftpd(l, { mptcp: true, address: l.addresses.server.v6!, port: 2121, files: { 'big.bin': 4 << 20 } });
    const plain = await startVsftpd(l, { mptcp: false, port: 2100, files: { 'big.bin': 4 << 20 } });
    const slow = ['--limit-rate', '50k', '-s', '-o', '/dev/null'];
    const clients: LabProcess[] = [
      l.spawn('client', ['mptcpize', 'run', 'curl', ...slow, v4.url('big.bin')]),
      l.spawn('client', ['mptcpize', 'run', 'curl', ...slow, v4.url('big.bin')]),
      l.spawn('client', ['curl', ...slow, v4.url('big.bin')]),
      l.spawn('client', ['mptcpize', 'run', 'curl', ...slow, v6.url('big.bin')]),
      l.spawn('client', ['curl', ...slow, plain.url('big.bin')]),
    ];
    try {
      // Each curl holds its control connection (and a data connection) while it downloads slowly.
      // Wait until ss sees every control connection: MPTCP ones in the MPTCP table, plain ones as
      // TCP sockets without the mptcp ULP (subflows have it).
      const count = async (table: '-Mni' | '-tni', port: number, plainOnly: boolean) => {
        const r = await l.exec('server', ['ss', table]);
        return parseSs(r.stdout).filter((x) => x.state === 'ESTAB' && x.local.endsWith(`:${port}`) && (!plainOnly || !x.ulpMptcp)).length;
      };
      const expected: Array<['-Mni' | '-tni', number, boolean, number]> = [['-Mni', 21, false, 2], ['-tni', 21, true, 1], ['-Mni', 2121, false, 1], ['-tni', 2100, true, 1]];
      const deadline = Date.now() + 20_000;
      for (const [table, port, plainOnly, wanted] of expected) {
        while ((await count(table, port, plainOnly)) < wanted) {
          if (Date.now() > deadline) throw new Error(`clients did not all connect: ss ${table} :${port}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const server = await conns(l, 'server');
      expect(server.schema).toBe('mptcp-doctor/conns/v1');
      const listener = (id: string) => server.listeners.find((x) => x.id === id)!;
      expect(listener(`mptcp ${l.addresses.server.v4}:21`)).toMatchObject({ connections: 3, mptcp: 2, fallbacks: 1, handshakeFallbacks: 1 });
      expect(listener(`mptcp [${l.addresses.server.v6}]:2121`)).toMatchObject({ connections: 1, mptcp: 1, fallbacks: 0 });
      expect(listener(`tcp ${l.addresses.server.v4}:2100`)).toMatchObject({ kind: 'tcp', connections: 1 });
      for (const id of [`mptcp ${l.addresses.server.v4}:21`, `tcp ${l.addresses.server.v4}:2100`]) {
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

      // The client side: curl's sockets, the MPTCP ones still MPTCP.
      const client = await conns(l, 'client', ['--port', '21']);
      expect(client.connections.length).toBe(2);
      expect(client.connections.every((c) => c.state === 'mptcp' && c.processes[0]?.command === 'curl')).toBe(true);
      const fallbacksOnly = await conns(l, 'server', ['--state', 'fallback', '--port', '21']);
      expect(fallbacksOnly.connections.map((c) => c.socket)).toEqual(['tcp']);
    } finally {
      for (const c of clients) await c.stop();
      await Promise.all([v4.stop(), v6.stop(), plain.stop()]);
    }
  }, 90_000);

  it('watch shows the second path joining, a signal endpoint announced and removed, and a reset with its reason', async () => {
    const l = lab();
    const ftp = await startVsftpd(l, { mptcp: true, port: 2200, files: { 'big.bin': 4 << 20 } });
    const watch = l.spawnNode('client', ['watch', '--json', '--verbose', '--interval', '0.5', '--duration', '60']);
    const extra = l.addresses.server.v4.replace(/\.2$/, '.3');
    let curl: LabProcess | undefined;
    try {
      await watch.waitForOutput('watching MPTCP events', 20_000);
      curl = l.spawn('client', ['mptcpize', 'run', 'curl', '--limit-rate', '100k', '-s', '-o', '/dev/null', ftp.url('big.bin')]);
      await watch.waitForOutput(new RegExp(`"type":"sub_established".*"localAddress":"${l.link(2).client.v4.replace(/\./g, '\\.')}"`), 15_000);

      await l.exec('server', ['ip', 'addr', 'add', `${extra}/24`, 'dev', 's0'], { check: true });
      await l.exec('server', ['ip', 'mptcp', 'endpoint', 'add', extra, 'signal'], { check: true });
      await watch.waitForOutput(new RegExp(`"type":"announced".*"remoteAddress":"${extra.replace(/\./g, '\\.')}"`), 10_000);
      await l.exec('server', ['ip', 'mptcp', 'endpoint', 'flush'], { check: true });
      await watch.waitForOutput(/"type":"removed"/, 10_000);

      // Kill the server's end of the second path's subflow: the client sees it reset, with a reason.
      await l.exec('server', ['ss', '-K', 'dst', l.link(2).client.v4, 'sport', '= :2200'], { check: true });
      const reset = await watch.waitForOutput(/\{[^\n]*"type":"sub_closed"[^\n]*"resetReason":\d+[^\n]*\}/, 10_000);
      const record = JSON.parse(reset) as { event: { resetReasonText: string; localAddress: string }; connection?: { process?: { command: string } } };
      expect(record.event.localAddress).toBe(l.link(2).client.v4);
      expect(record.event.resetReasonText).toBe('unspecified error');
      expect(record.connection?.process?.command).toBe('curl');
    } finally {
      await curl?.stop();
      await watch.stop();
      await ftp.stop();
    }
    const lines = watch.stdout.trim().split('\n').map((line) => JSON.parse(line) as { schema: string; type: string });
    expect(lines.every((x) => x.schema === 'mptcp-doctor/watch/v1')).toBe(true);
    expect(lines.filter((x) => x.type === 'loss')).toEqual([]);
  }, 90_000);

  it('watch without CAP_NET_ADMIN says so in one line and reports counters only', async () => {
    const l = lab();
    const ftp = await startVsftpd(l, { mptcp: true, port: 2300, files: { 'small.bin': 100_000 } });
    try {
      const watch = l.spawn('client', ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all',
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
