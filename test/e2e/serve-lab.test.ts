// `mptcp-doctor serve` in the network-namespace lab (client -- router -- server, two client paths):
// a passive download's data connection gets its second subflow through the still-open passive
// listener, and SITE MPTCP tells three cases apart: clean (mptcp), a client with
// net.mptcp.enabled=0 (tcp: no MP_CAPABLE reached the server), MPTCP option stripped on SYN-ACKs only
// (the server saw MP_CAPABLE, the connection fell back). Clients are Python's ftplib under mptcpize.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { SiteMptcpView } from '../../src/protocol/site-mptcp.js';
import { computeDigest } from '../../src/server/index.js';
import type { LabProcess } from '../lab/index.js';
import { useLab } from '../lab/vitest.js';
import { missingRequirement } from '../support/gate.js';

const skip = missingRequirement('serve in the lab', 'root', 'netns', 'tool:mptcpize', 'tool:python3', 'tool:curl', 'tool:ss');
const ftplibClient = join(import.meta.dirname, '..', 'server', 'fixtures', 'ftplib-client.py');
const cliSource = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

interface FtplibResult {
  sha256: string;
  stated: string;
  stor: string;
  site: SiteMptcpView;
  siteDownload: SiteMptcpView;
}

describe.skipIf(skip)('serve in the lab (two client paths through a router)', () => {
  const lab = useLab({ topology: 'routed', links: 2 });
  let nextPort = 2200;

  async function startServe(): Promise<{ port: number; address: string; process: LabProcess }> {
    const port = nextPort++;
    const address = lab().addresses.server.v4;
    const process = lab().spawnNode('server', [cliSource, 'serve', '--listen', `${address}:${port}`, '--json-log']);
    await process.waitForOutput(/serving ftp:/, 20_000);
    return { port, address, process };
  }

  async function ftplib(address: string, port: number, path: string, options: { mptcpize?: boolean; active?: boolean } = {}): Promise<FtplibResult> {
    const argv = ['python3', ftplibClient, address, String(port), '--path', path, ...(options.active ? ['--active'] : [])];
    const result = await lab().exec('client', options.mptcpize === false ? argv : ['mptcpize', 'run', ...argv], { timeoutMs: 60_000 });
    if (!result.ok) throw new Error(`ftplib client failed (${result.exitCode}): ${result.stderr.slice(-1500)}`);
    return JSON.parse(result.stdout) as FtplibResult;
  }

  test('clean path: control and data connections MPTCP, MP_CAPABLE seen; passive download has 2 subflows', async () => {
    const { port, address, process } = await startServe();
    try {
      const out = await ftplib(address, port, '/probe/100M');
      expect(out.sha256).toBe(await computeDigest(100 << 20));
      expect(out.stated).toBe(out.sha256);
      const view = out.siteDownload;
      expect(view.control).toMatchObject({ socket: 'mptcp', state: 'mptcp', mpCapableReceived: true, mpCapableEvidence: 'socket' });
      expect(view.data).toMatchObject({ mode: 'passive', command: 'RETR', socket: 'mptcp', state: 'mptcp', outcome: 'complete', bytes: 100 << 20 });
      // The second path's subflow joined the data connection through the open passive listener.
      expect(view.data!.subflows.total).toBe(2);
      const remotes = view.data!.subflows.list.map((s) => s.remote?.split(':')[0]).sort();
      expect(remotes).toEqual(lab().addresses.client.map((a) => a.v4).sort());
      expect('deltas' in view.counters && view.counters.deltas.MPJoinSynRx).toBeGreaterThanOrEqual(1);
    } finally {
      await process.stop();
    }
  });

  test('active mode (PORT): the server opens an MPTCP data connection with one subflow (no server endpoints)', async () => {
    const { port, address, process } = await startServe();
    try {
      const out = await ftplib(address, port, '/probe/10M', { active: true });
      expect(out.sha256).toBe(out.stated);
      expect(out.siteDownload.data).toMatchObject({ mode: 'active', socket: 'mptcp', state: 'mptcp', mpCapableReceived: null, outcome: 'complete' });
      expect(out.siteDownload.data!.subflows.total).toBe(1);
      // The control connection still has both paths.
      expect(out.siteDownload.control.subflows.total).toBe(2);
    } finally {
      await process.stop();
    }
  });

  test('ss -M in the server namespace shows a curl (mptcpize) download as MPTCP', async () => {
    const { port, address, process } = await startServe();
    let curl: LabProcess | undefined;
    try {
      curl = lab().spawn('client', ['mptcpize', 'run', 'curl', '-sS', '--limit-rate', '10M', '-o', '/dev/null', `ftp://${address}:${port}/probe/30M`]);
      let seen = '';
      const deadline = Date.now() + 15_000;
      while (!seen && Date.now() < deadline) {
        const ss = await lab().exec('server', ['ss', '-MnH', 'state', 'established']);
        seen = ss.stdout.split('\n').find((line) => line.includes(`${address}:${port}`)) ?? '';
        if (!seen) await new Promise((r) => setTimeout(r, 100));
      }
      expect(seen).toContain(`${address}:${port}`);
    } finally {
      await curl?.stop();
      await process.stop();
    }
  });

  test('client with net.mptcp.enabled=0: SITE MPTCP says tcp, no MP_CAPABLE reached the server', async () => {
    const { port, address, process } = await startServe();
    await lab().exec('client', ['sysctl', '-qw', 'net.mptcp.enabled=0'], { check: true });
    try {
      // mptcpize cannot create MPTCP sockets here; plain python is what such a host runs.
      const out = await ftplib(address, port, '/probe/1M', { mptcpize: false });
      expect(out.sha256).toBe(out.stated);
      expect(out.siteDownload.control).toMatchObject({ socket: 'tcp', state: 'tcp', mpCapableReceived: false, mpCapableEvidence: 'counters' });
      expect(out.siteDownload.data).toMatchObject({ socket: 'tcp', state: 'tcp', mpCapableReceived: false, mode: 'passive' });
      expect(out.siteDownload.control.checksum.source).toBe('sysctl');
    } finally {
      await lab().exec('client', ['sysctl', '-qw', 'net.mptcp.enabled=1']);
      await process.stop();
    }
  });

  test('MPTCP option stripped on SYN-ACKs only: the server saw MP_CAPABLE, the connection fell back', async () => {
    const { port, address, process } = await startServe();
    const strip = await lab().middlebox.stripOptions('synack');
    try {
      const out = await ftplib(address, port, '/probe/1M');
      expect(out.sha256).toBe(out.stated);
      const view = out.siteDownload;
      // The kernel hands over a plain TCP socket (the subflow context is dropped before accept):
      // MPCapableFallbackACK incrementing at the accept is what tells this case from a TCP client.
      expect(view.control).toMatchObject({ socket: 'tcp', state: 'fallback', mpCapableReceived: true, mpCapableEvidence: 'counters' });
      expect(view.data).toMatchObject({ socket: 'tcp', state: 'fallback', mpCapableReceived: true, mpCapableEvidence: 'counters', mode: 'passive' });
      // The data connection's handshake happened after login: its fallback is in the deltas.
      expect('deltas' in view.counters && view.counters.deltas.MPCapableSYNRX).toBeGreaterThanOrEqual(1);
      expect('deltas' in view.counters && view.counters.deltas.MPCapableFallbackACK).toBeGreaterThanOrEqual(1);
    } finally {
      await strip.remove();
      await process.stop();
    }
  });
});
