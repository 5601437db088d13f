// get's connection records carry the same samples as probe's: the transfer adapter turns what
// `get --json` prints into the timeline the report and sparklines draw; get and put --report and -v.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ConnectionRecord } from '../../src/session/record.js';
import type { CounterSnapshot } from '../../src/sys/counters.js';
import { timelineFromTransfer } from '../../src/report/timeline/from-transfer.js';
import { renderHtmlReport } from '../../src/report/timeline/html-report.js';
import { connectionSparklines } from '../../src/report/timeline/sparkline.js';
import type { Verdict } from '../../src/verdict/verdict.js';
import { startServer, type ProbeServer } from '../../src/server/index.js';
import { requireDist } from '../support/dist.js';

const cli = requireDist();

interface GetJson {
  url: string;
  bytes: number;
  durationMs: number;
  notes: string[];
  connections: ConnectionRecord[];
  verdict: Verdict;
  counters: { client: CounterSnapshot; clientTcp: CounterSnapshot };
}

describe('get --json -> timeline', () => {
  let serve: ProbeServer;
  beforeAll(async () => {
    serve = await startServer({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await serve.close(0);
  });

  test('one group, a series per subflow growing to the file size, the FTP steps marked', async () => {
    const run = await execa('node', [cli, 'get', `ftp://127.0.0.1:${serve.port}/probe/256M`, '/dev/null', '--json', '--mode', 'epsv'], { reject: false, timeout: 90_000 });
    expect(run.exitCode).toBe(0);
    const json = JSON.parse(run.stdout) as GetJson;
    const timeline = timelineFromTransfer({
      command: 'get',
      target: json.url,
      direction: 'download',
      bytes: json.bytes,
      durationMs: json.durationMs,
      notes: json.notes,
      session: { records: json.connections, verdict: json.verdict, counters: { client: { mptcp: json.counters.client, tcp: json.counters.clientTcp } }, anomalies: [] },
    });
    expect(timeline).toMatchObject({ command: 'get', headline: { text: 'MPTCP held', tone: 'good' }, groups: [{ label: 'download' }] });
    const [control, data] = timeline.groups[0]!.connections;
    expect(data!.label).toBe('data epsv');
    expect(data!.subflows).toHaveLength(1);
    const points = data!.subflows[0]!.points;
    expect(points.at(-1)!.bytes).toBeGreaterThanOrEqual(256 << 20);
    expect(points.map((p) => p.bytes)).toEqual([...points.map((p) => p.bytes)].sort((a, b) => a - b));
    expect(data!.markers.filter((m) => m.kind === 'phase').map((m) => m.label)).toEqual(['connected', 'transfer start', '226 transfer complete']);
    expect(control!.markers.filter((m) => m.kind === 'phase').map((m) => m.label)).toEqual(['connected', 'logged in', 'EPSV', '226 transfer complete']);
    expect(connectionSparklines(data!, false).length).toBeGreaterThanOrEqual(2);

    const html = await renderHtmlReport(timeline);
    expect(html).toContain('mptcp-doctor get report');
    expect([...html.matchAll(/class="mark-line role-mark carried_marks"[^>]*><path aria-label="([^"]*)"/g)].map((m) => m[1])).toEqual([
      control!.subflows[0]!.label,
      data!.subflows[0]!.label,
    ]);
  });
});

describe('get and put --report, --json timeline and -v sparklines', () => {
  let serve: ProbeServer;
  let dir: string;
  beforeAll(async () => {
    serve = await startServer({ host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(path.join(tmpdir(), 'transfer-report-'));
  });
  afterAll(async () => {
    await serve.close(0);
    rmSync(dir, { recursive: true, force: true });
  });

  test('get --report writes the page, --json carries the timeline, -v draws a sparkline per subflow', async () => {
    const report = path.join(dir, 'get.html');
    const run = await execa('node', [cli, 'get', `ftp://127.0.0.1:${serve.port}/probe/8M`, '/dev/null', '--json', '--report', report], { reject: false, timeout: 60_000 });
    expect(run.exitCode).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.timeline).toMatchObject({ command: 'get', groups: [{ label: 'download' }] });
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('mptcp-doctor get report');
    const verbose = await execa('node', [cli, 'get', `ftp://127.0.0.1:${serve.port}/probe/8M`, '/dev/null', '-v'], { reject: false, timeout: 60_000, env: { NO_COLOR: '1' } });
    expect(verbose.exitCode).toBe(0);
    expect(verbose.stdout).toMatch(/data epsv/);
    expect(verbose.stdout).toMatch(/[▁▂▃▄▅▆▇█]/);
  });

  test('put --report writes the page; a bad --report path is a usage error before anything moves', async () => {
    const file = path.join(dir, 'up.bin');
    writeFileSync(file, Buffer.alloc(1 << 20, 3));
    const report = path.join(dir, 'put.html');
    const run = await execa('node', [cli, 'put', file, `ftp://127.0.0.1:${serve.port}/upload/`, '--report', report], { reject: false, timeout: 60_000 });
    expect(run.exitCode).toBe(0);
    expect(readFileSync(report, 'utf8')).toContain('mptcp-doctor put report');
    const bad = await execa('node', [cli, 'put', file, `ftp://127.0.0.1:${serve.port}/upload/`, '--report', dir], { reject: false, timeout: 60_000 });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('is a directory');
  });
});
