// `probe --report FILE` and the time series in `probe --json`, as a user runs them on loopback
// against our own server; and the charting library kept out of the command's start-up.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ProbeResult } from '../../src/probe/probe.js';
import { timelineFromProbe } from '../../src/report/timeline/from-probe.js';
import type { SessionTimeline } from '../../src/report/timeline/session-timeline.js';
import { startServer, type ProbeServer } from '../../src/server/index.js';
import { requireDist } from '../support/dist.js';

const cli = requireDist();

function run(...args: string[]) {
  return execa('node', [cli, 'probe', ...args], { reject: false, timeout: 90_000, env: { NO_COLOR: '1' } });
}

describe('probe --report on loopback', () => {
  let serve: ProbeServer;
  let dir: string;
  beforeAll(async () => {
    serve = await startServer({ host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'probe-report-'));
  });
  afterAll(async () => {
    await serve.close(0);
    rmSync(dir, { recursive: true, force: true });
  });

  test('--json carries the timeline the report is drawn from; the report is one self-contained page', async () => {
    const file = join(dir, 'epsv.html');
    const result = await run(`ftp://127.0.0.1:${serve.port}/`, '--mode', 'epsv', '--size', '4M', '--json', '--report', file);
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(result.stdout) as ProbeResult & { timeline: SessionTimeline };
    const { timeline, ...probe } = json;
    // The documented field is the adapter's output for the very result printed beside it.
    expect(timeline).toEqual(timelineFromProbe(probe));
    const [control, data] = timeline.groups[0]!.connections;
    expect(control!.label).toBe('control');
    expect(data!.label).toBe('data epsv');
    expect(data!.subflows).toHaveLength(1);
    expect(data!.subflows[0]!.label).toMatch(/^127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+$/);
    expect(data!.subflows[0]!.points.at(-1)!.bytes).toBeGreaterThanOrEqual(4 << 20);
    expect(control!.markers.map((m) => m.label)).toEqual(expect.arrayContaining(['connected', 'logged in', 'EPSV', '226 transfer complete']));

    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain("Content-Security-Policy\" content=\"default-src 'none'");
    expect(html).not.toMatch(/<script|\bsrc=|\bhref=/i);
    // One chart per connection that had a subflow, each with its line.
    const connections = timeline.groups.flatMap((g) => g.connections).filter((c) => c.subflows.length > 0);
    expect(html.match(/<svg /g)).toHaveLength(connections.length);
    expect(html).toContain(data!.subflows[0]!.label);
    // Written whole: no temporary file left beside it.
    expect(readdirSync(dir)).toEqual(['epsv.html']);
  });

  test('human output: the sparkline of the transfer, within 80 columns; the report beside it', async () => {
    const file = join(dir, 'human.html');
    const result = await run(`ftp://127.0.0.1:${serve.port}/`, '--mode', 'epsv', '--size', '4M', '--report', file);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^epsv mode, per subflow:$/m);
    expect(result.stdout).toMatch(/^ {2}data epsv \(\d+-\d+ ms, a block per \d+ ms\):$/m);
    expect(result.stdout).toMatch(/^ {4}[▁-█ ]+ +4\.0 MiB {2}127\.0\.0\.1:\d+$/m);
    for (const line of result.stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    expect(readFileSync(file, 'utf8')).toContain('<h1 class="headline">');
  });

  test.each([
    [['--report', '/'], 'is a directory'],
    [['--report', '/nonexistent-dir/r.html'], '/nonexistent-dir does not exist'],
    [['--report', ''], '--report needs a file name'],
    [['--report', 'a.html', '--report', 'b.html'], 'give --report once'],
  ])('--report %j: exit 2 before probing', async (args, message) => {
    const result = await run(`ftp://127.0.0.1:${serve.port}/`, '--mode', 'epsv', ...args);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toBe(`mptcp-doctor: ${result.stderr.trim().replace(/^mptcp-doctor: /, '')}`);
    expect(result.stderr).toContain(message);
  });
});

describe('start-up without --report', () => {
  /** Files a bundle file imports statically (`import ... from "./x.js"`, `import "./x.js"`), not `import("./x.js")`. */
  function staticImports(file: string): string[] {
    const text = readFileSync(file, 'utf8');
    return [...text.matchAll(/(?:^|\n)import\s*(?:[^;()]*?\sfrom\s*)?["'](\.\/[^"']+)["']/g)].map((m) => join(dirname(file), m[1]!));
  }

  function closure(entry: string): Set<string> {
    const seen = new Set<string>();
    const queue = [entry];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      queue.push(...staticImports(file));
    }
    return seen;
  }

  test('probe loads no Vega code unless --report asks for it', () => {
    const bin = dirname(cli);
    const main = readFileSync(cli, 'utf8');
    const probeChunk = /import\("\.\/(probe-[A-Z0-9]+\.js)"\)/.exec(main)?.[1];
    expect(probeChunk).toBeDefined();
    const loaded = new Set([...closure(cli), ...closure(join(bin, probeChunk!))]);
    const vega = /node_modules\/vega/;
    for (const file of loaded) expect(vega.test(readFileSync(file, 'utf8')), file).toBe(false);
    // The charting code is in the bundle, in a chunk loaded on demand.
    const chart = readdirSync(bin).filter((f) => /^render-chart-[A-Z0-9]+\.js$/.test(f)).map((f) => join(bin, f));
    expect(chart.some((f) => vega.test(readFileSync(f, 'utf8')))).toBe(true);
  });

  test('watch loads neither Vega nor its report adapter unless --report asks for them', () => {
    const bin = dirname(cli);
    const watchChunk = /import\("\.\/(watch-[A-Z0-9]+\.js)"\)/.exec(readFileSync(cli, 'utf8'))?.[1];
    expect(watchChunk).toBeDefined();
    const loaded = new Set([...closure(cli), ...closure(join(bin, watchChunk!))]);
    expect(readFileSync(join(bin, watchChunk!), 'utf8')).toMatch(/import\("\.\/from-watch-[A-Z0-9]+\.js"\)/);
    for (const file of loaded) {
      const text = readFileSync(file, 'utf8');
      expect(/node_modules\/vega/.test(text), file).toBe(false);
      expect(text.includes('function timelineFromWatch'), file).toBe(false);
    }
  });
});
