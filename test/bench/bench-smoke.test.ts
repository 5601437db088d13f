// The benchmarks in smoke mode (tiny sizes, 2 rounds, 5 clients): every figure of bench/README.md is still
// produced, so the benchmark code cannot rot. Goals are not judged here: tiny sizes measure start-up.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../lab/index.js';
import { missingRequirement } from '../support/gate.js';

const skip = missingRequirement('bench smoke', 'root', 'netns', 'tool:vsftpd', 'tool:mptcpize', 'tool:curl', 'tool:tc', 'tool:time');

interface Results {
  groups: Array<{ id: string; failures: string[]; figures: Array<{ id: string; unit: string; summary: { median: number; n: number } }> }>;
  errors: Array<{ id: string; error: string }>;
  config: { smoke: boolean };
  machine: { cpuModel: string; cores: number; kernel: string; node: string };
}

const EXPECTED_FIGURES = [
  'loopback-download.get', 'loopback-download.curl', 'loopback-download.mptcpize-curl',
  'loopback-download.vs-curl', 'loopback-download.vs-mptcpize-curl', 'loopback-download.get-tcp', 'memory.get',
  'loopback-serve.get', 'loopback-serve.curl', 'loopback-serve.vs-curl',
  'upload.put', 'upload.curl', 'upload.mptcpize-curl', 'upload.vs-curl', 'memory.put',
  'aggregation.mptcp', 'aggregation.tcp', 'aggregation.of-sum', 'aggregation.vs-tcp',
  'verdict-time.check-ratio', 'verdict-time.probe-ratio',
  'memory.serve', 'capacity.5.failures', 'capacity.5.throughput',
  'conns.ss', 'conns.conns', 'conns.vs-ss', 'memory.conns', 'cpu.ss', 'cpu.conns', 'cpu.vs-ss', 'watch.missing', 'watch.enobufs',
  'startup.npm-version', 'startup.sea-version', 'startup.sea-vs-npm-version', 'startup.sea-socket',
  'fleet.mptcp-off', 'fleet.csum-off', 'fleet.healthy',
];

describe.skipIf(skip)('bench --smoke', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('produces every figure, positive, with no failed run, without touching bench/RESULTS.md', async () => {
    const tracked = path.join(packageRoot, 'bench', 'RESULTS.md');
    const before = readIfThere(tracked);
    const r = await execa(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out], {
      cwd: packageRoot, reject: false, timeout: 230_000, stdin: 'ignore',
    });
    expect(r.exitCode, r.stderr.split('\n').slice(-15).join('\n')).toBe(0);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as Results;
    expect(results.config.smoke).toBe(true);
    expect(results.errors).toEqual([]);
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.machine.node).toBe(process.version);
    expect(results.groups.flatMap((g) => g.failures)).toEqual([]);
    const figures = new Map(results.groups.flatMap((g) => g.figures).map((f) => [f.id, f]));
    for (const id of EXPECTED_FIGURES) {
      const f = figures.get(id);
      expect(f, `figure ${id}`).toBeDefined();
      // CPU time comes in clock ticks of 10 ms: `ss -Mni` over a few hundred sockets can take none,
      // and a ratio to nothing is left out of its figure.
      if (id === 'cpu.ss' || id === 'cpu.vs-ss') {
        if (f!.summary.n > 0) expect(f!.summary.median, id).toBeGreaterThanOrEqual(0);
        continue;
      }
      expect(f!.summary.n, `${id} runs`).toBeGreaterThan(0);
      if (f!.unit === 'count') expect(f!.summary.median, id).toBe(0);
      else expect(f!.summary.median, id).toBeGreaterThan(0);
    }
    const markdown = readFileSync(path.join(out, 'RESULTS.md'), 'utf8');
    expect(markdown).toContain('SMOKE MODE');
    expect(markdown).toMatch(/\| memory\.|peak RSS of get/);
    expect(readIfThere(tracked)).toBe(before);
  }, 240_000);
});

function readIfThere(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
