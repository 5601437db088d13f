// probe --json and get --json describe a connection with the same record (one shape from the
// session module), and carry the stall note wherever the text shows it: both take their notes from
// the one stall rule (src/session/findings.ts) applied to the counters their JSON carries.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { probeResult } from '../../src/probe/probe.js';
import { runMode, type ProbeRun } from '../../src/probe/run-mode.js';
import { renderProbe } from '../../src/report/probe.js';
import { startServer, type ProbeServer } from '../../src/server/index.js';
import { stallFinding } from '../../src/session/findings.js';
import type { ConnectionRecord } from '../../src/session/record.js';
import type { CounterSnapshot } from '../../src/sys/counters.js';
import { requireDist } from '../support/dist.js';

const cli = requireDist();

interface CommandJson {
  connections: Array<ConnectionRecord & { run?: number }>;
  notes: string[];
  counters: { client: CounterSnapshot; clientTcp: CounterSnapshot };
}

function run(...args: string[]) {
  return execa('node', [cli, ...args], { reject: false, timeout: 60_000, env: { NO_COLOR: '1' } });
}

const keys = (value: object) => Object.keys(value).sort();
/** Text as a terminal shows it, without the wrapping. */
const unwrapped = (text: string) => text.replace(/\s+/g, ' ');
const stallNotes = (json: CommandJson) => {
  const stall = stallFinding({ mptcp: json.counters.client, tcp: json.counters.clientTcp });
  return stall ? [stall.text] : [];
};

describe('probe --json and get --json', () => {
  let serve: ProbeServer;
  beforeAll(async () => {
    serve = await startServer({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await serve?.close(0);
  });

  test('the same connection record: the same keys on each connection and on each sample', async () => {
    const [probed, got] = await Promise.all([
      run('probe', `ftp://127.0.0.1:${serve.port}/`, '--mode', 'epsv', '--json'),
      run('get', `ftp://127.0.0.1:${serve.port}/probe/1M`, '/dev/null', '--mode', 'epsv', '--json'),
    ]);
    expect(probed.exitCode, probed.stderr).toBe(0);
    expect(got.exitCode, got.stderr).toBe(0);
    const probe = JSON.parse(probed.stdout) as CommandJson;
    const get = JSON.parse(got.stdout) as CommandJson;
    const probeFirst = probe.connections.filter((c) => c.label === 'control' || c.label === 'data epsv');
    expect(probeFirst.map((c) => c.label)).toEqual(['control', 'data epsv']);
    expect(get.connections.map((c) => c.label)).toEqual(['control', 'data epsv']);
    for (const [index, fromGet] of get.connections.entries()) {
      const fromProbe = probeFirst[index]!;
      // probe adds which run a connection belongs to, and the far end's view (it asked serve with SITE MPTCP).
      expect(keys(fromProbe).filter((key) => key !== 'run' && key !== 'server')).toEqual(keys(fromGet));
      expect(fromProbe.run).toBe(0);
      expect(fromProbe.server).toBeDefined();
      expect(keys(fromProbe.samples.at(-1)!)).toEqual(keys(fromGet.samples.at(-1)!));
      expect(keys(fromProbe.report!)).toEqual(keys(fromGet.report!));
      expect(fromProbe.status).toBe(fromGet.status);
    }
  });

  test('both carry notes: the stall rule applied to the counters in the same JSON', async () => {
    const [probed, got] = await Promise.all([
      run('probe', `ftp://127.0.0.1:${serve.port}/`, '--mode', 'epsv', '--size', '10M', '--json'),
      run('get', `ftp://127.0.0.1:${serve.port}/probe/10M`, '/dev/null', '--mode', 'epsv', '--json'),
    ]);
    const probe = JSON.parse(probed.stdout) as CommandJson;
    const get = JSON.parse(got.stdout) as CommandJson;
    // probe's notes are the findings; get's begin with them, then what the client noted (none here).
    expect(probe.notes).toEqual(stallNotes(probe));
    expect(get.notes).toEqual(stallNotes(get));
  });

  describe('the stall note in probe text and JSON', () => {
    const target = () => ({ host: '127.0.0.1', port: serve.port, user: 'anonymous', password: 'x', security: 'none' as const });

    /** Two real runs against serve, then counters as if each run's transfer had stalled once. */
    async function stalledRuns(): Promise<ProbeRun[]> {
      const timeouts = { connectMs: 5000, replyMs: 10_000, idleMs: 10_000, runMs: 30_000 };
      const runs: ProbeRun[] = [];
      for (const mode of ['epsv', 'eprt'] as const) {
        const result = await runMode({ target: target(), mode, size: 1 << 20, upload: false, timeouts, pathManager: { endpoints: [] } });
        runs.push({ ...result, counters: { ...result.counters, client: { ...result.counters.client, MPTCPRetrans: 1, DuplicateData: 1 } } });
      }
      return runs;
    }

    test('the runs stalled once each: one note for the probe, in its JSON and in its text', async () => {
      const runs = await stalledRuns();
      const result = probeResult({ target: target(), display: 'ftp://127.0.0.1/' }, runs, Date.now());
      expect(result.notes).toHaveLength(1);
      expect(result.notes[0]).toMatch(/^the transfer stalled 2 times on MPTCP-level retransmissions \(MPTcpExtMPTCPRetrans \+2, DuplicateData \+2/);
      // What `probe --json` prints is this result (plus the timeline); what `probe` prints renders it.
      expect(JSON.parse(JSON.stringify(result)).notes).toEqual(result.notes);
      expect(unwrapped(renderProbe(result, false))).toContain(`note: ${result.notes[0]}`);
    });

    test('no retransmission in any run: no note in the JSON, none in the text', async () => {
      const runs = (await stalledRuns()).map((r) => ({ ...r, counters: { ...r.counters, client: { ...r.counters.client, MPTCPRetrans: 0 } } }));
      const result = probeResult({ target: target(), display: 'ftp://127.0.0.1/' }, runs, Date.now());
      expect(result.notes).toEqual([]);
      expect(renderProbe(result, false)).not.toContain('note:');
    });
  });
});
