// probe --report in the lab, opened in Debian's headless chromium: what the picture shows when the
// second path goes down mid-transfer, and when an FTP ALG turns the control connection into TCP.
// Checked in the page as drawn (SVG geometry, DOM, a screenshot) and in the requests it makes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ProbeResult } from '../../src/probe/probe.js';
import { SUBFLOW_COLORS } from '../../src/report/timeline/chart-spec.js';
import { REPORT_CSP } from '../../src/report/timeline/html-page.js';
import type { SessionTimeline, TimelineConnection } from '../../src/report/timeline/session-timeline.js';
import { startVsftpd, type Lab } from '../lab/index.js';
import { useLab } from '../lab/vitest.js';
import { CHROMIUM, startChromium, summarizePng, type Browser } from '../support/chromium.js';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';

const skip = missingRequirement(
  'probe --report (lab + chromium)',
  'root', 'netns', 'tool:vsftpd', 'tool:mptcpize', 'tool:iptables', 'tool:nft', 'tool:ss', `file:${CHROMIUM}`,
);

type ProbeJson = ProbeResult & { timeline: SessionTimeline };

let browser: Browser | undefined;
beforeAll(async () => {
  if (!skip) browser = await startChromium();
}, 90_000);
afterAll(async () => {
  await browser?.close();
});

/**
 * Waits until the data connection's subflow from `local` (a port other than the control port) has
 * received `bytes`: the moment to take its path down is set by the transfer, not by a clock.
 */
async function waitForDataSubflow(lab: Lab, local: string, controlPort: number, bytes: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ss = await lab.exec('client', ['ss', '-tinH', 'state', 'established', 'src', local]);
    const lines = ss.stdout.split('\n');
    for (let i = 0; i < lines.length; i += 1) {
      const peer = /\s(\S+):(\d+)\s*$/.exec(lines[i]!.trimEnd());
      if (!peer || Number(peer[2]) === controlPort) continue;
      const received = Number(/bytes_received:(\d+)/.exec(lines[i + 1] ?? '')?.[1] ?? 0);
      if (received >= bytes) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the data connection's subflow from ${local} did not receive ${bytes} bytes within ${timeoutMs} ms`);
}

interface DrawnLine {
  label: string;
  /** Points along the SVG path, in page pixels (y grows downwards). */
  points: Array<[number, number]>;
}

/** The little of the browser's DOM that the in-page functions below use (the test code is typed for Node). */
interface InPageElement {
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { left: number; width: number };
  querySelectorAll(selector: string): ArrayLike<InPageElement>;
}
interface InPagePath extends InPageElement {
  getScreenCTM(): unknown;
  getTotalLength(): number;
  getPointAtLength(length: number): { x: number; y: number };
}
interface InPageWindow {
  document: { getElementById(id: string): InPageElement | null };
  DOMPoint: new (x: number, y: number) => { matrixTransform(matrix: unknown): { x: number; y: number } };
  scrollX: number;
  scrollY: number;
}

/** The lines of one chart mark and the page x of each marker rule, as chromium laid them out. */
async function drawn(page: Page, connectionId: string, lineMark: string, ruleMark: string): Promise<{ lines: DrawnLine[]; rules: Array<{ label: string; x: number }> }> {
  return page.evaluate(
    ({ id, lineMark, ruleMark }) => {
      // Page coordinates (screen plus scroll), as in a full-page screenshot.
      const w = globalThis as unknown as InPageWindow;
      const article = w.document.getElementById(id)!;
      const lines = Array.from(article.querySelectorAll(`g.mark-line.${lineMark}_marks path`) as ArrayLike<InPagePath>).map((path) => {
        const ctm = path.getScreenCTM();
        const length = path.getTotalLength();
        const points: Array<[number, number]> = [];
        for (let i = 0; i <= 400; i += 1) {
          const local = path.getPointAtLength((length * i) / 400);
          const p = new w.DOMPoint(local.x, local.y).matrixTransform(ctm);
          points.push([p.x + w.scrollX, p.y + w.scrollY]);
        }
        return { label: path.getAttribute('aria-label') ?? '', points };
      });
      const rules = Array.from(article.querySelectorAll(`g.${ruleMark}_marks line`)).map((line) => {
        const box = line.getBoundingClientRect();
        return { label: line.getAttribute('aria-label') ?? '', x: box.left + box.width / 2 + w.scrollX };
      });
      return { lines, rules };
    },
    { id: connectionId, lineMark, ruleMark },
  );
}

/** The y of a drawn line at page x (the nearest sampled point). */
function yAt(line: DrawnLine, x: number): number {
  return line.points.reduce((best, p) => (Math.abs(p[0] - x) < Math.abs(best[0] - x) ? p : best))[1];
}

/** What every report must be in a browser: drawn (not blank), loading nothing but itself. */
async function expectDrawnAndOffline(page: Page, requests: string[], file: string, subflowColours: string[]): Promise<void> {
  const shot = summarizePng(await page.screenshot({ fullPage: true }), subflowColours);
  expect(shot.inked).toBeGreaterThan(0.02);
  expect(shot.colours).toBeGreaterThan(20);
  for (const colour of subflowColours) expect(shot.near[colour], `pixels of ${colour}`).toBeGreaterThan(40);
  expect(requests).toEqual([`file://${file}`]);
}

/** Each connection's chart has one line per subflow, in both panels, labelled with its addresses. */
async function expectOneSeriesPerSubflow(page: Page, timeline: SessionTimeline): Promise<void> {
  for (const connection of timeline.groups.flatMap((g) => g.connections)) {
    const article = page.locator(`article#${connection.id}`);
    expect(await article.getAttribute('data-subflows')).toBe(String(connection.subflows.length));
    const carried = await article.locator('g.mark-line.carried_marks path').evaluateAll((paths) => paths.map((p) => p.getAttribute('aria-label')));
    expect(carried).toEqual(connection.subflows.map((s) => s.label));
  }
}

function dataOf(timeline: SessionTimeline): TimelineConnection {
  return timeline.groups[0]!.connections.find((c) => c.label === 'data epsv')!;
}

describe.skipIf(skip)('second path taken down mid-transfer', () => {
  requireDist();
  const lab = useLab({ topology: 'routed', links: 2 });

  test('the second subflow\'s line stops at a marker while the first carries on', async () => {
    await lab().shape(1, { rateMbit: 20 });
    await lab().shape(2, { rateMbit: 20 });
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2151, files: { 'big.bin': 16 << 20 } });
    const file = join(lab().tmpDir, 'link-down.html');
    const second = lab().addresses.client[1]!.v4;
    let down = false;
    try {
      const running = lab().spawnNode('client', ['probe', ftp.url('big.bin'), '--json', '--mode', 'epsv', '--timeout', '40', '--report', file]);
      await waitForDataSubflow(lab(), second, 2151, 512 * 1024, 30_000);
      await lab().linkDown(2);
      down = true;
      const done = await running.wait(60_000);
      const result = JSON.parse(done.stdout) as ProbeJson;
      expect(result.transfer.bytes).toBe(16 << 20);
      expect(result.verdict).toMatchObject({ status: 'degraded', cause: 'path-failed' });

      // The series: the second subflow stops growing at the marker, the first goes on.
      const data = dataOf(result.timeline);
      expect(data.subflows).toHaveLength(2);
      const [a, b] = data.subflows;
      expect(b!.key.startsWith(`${second}:`)).toBe(true);
      const stop = data.markers.find((m) => m.kind === 'subflow-stalled' || m.kind === 'subflow-closed' || m.kind === 'subflow-reset');
      expect(stop).toMatchObject({ kind: 'subflow-stalled', subflow: b!.key });
      const bAtStop = b!.points.find((p) => p.atMs === stop!.atMs)!.bytes;
      expect(bAtStop).toBeGreaterThanOrEqual(512 * 1024);
      expect(b!.points.filter((p) => p.atMs > stop!.atMs).every((p) => p.bytes === bAtStop)).toBe(true);
      const aAtStop = a!.points.find((p) => p.atMs >= stop!.atMs)!.bytes;
      expect(a!.points.at(-1)!.bytes - aAtStop).toBeGreaterThan(8 << 20);
      expect(data.endMs - stop!.atMs).toBeGreaterThan(2000);

      // The picture, as chromium draws it.
      const { page, requests } = await browser!.open(file);
      await expectOneSeriesPerSubflow(page, result.timeline);
      const carried = await drawn(page, data.id, 'carried', 'markersLower');
      const rule = carried.rules.find((r) => r.label === `subflow-stalled: stopped carrying data (${b!.key})`);
      expect(rule).toBeDefined();
      const lineA = carried.lines.find((l) => l.label === a!.label)!;
      const lineB = carried.lines.find((l) => l.label === b!.label)!;
      const after = (line: DrawnLine) => line.points.filter(([x]) => x > rule!.x + 3);
      // Flat right of the rule (within a pixel), while the first subflow's line climbs.
      expect(after(lineB).length).toBeGreaterThan(50);
      for (const [, y] of after(lineB)) expect(Math.abs(y - yAt(lineB, rule!.x))).toBeLessThan(1.5);
      expect(yAt(lineA, rule!.x) - Math.min(...after(lineA).map(([, y]) => y))).toBeGreaterThan(30);
      // The throughput panel: the second subflow's line drops to the baseline and stays there.
      const rates = await drawn(page, data.id, 'throughput', 'markers');
      const rateB = rates.lines.find((l) => l.label === b!.label)!;
      const rateRule = rates.rules.find((r) => r.label.startsWith('subflow-stalled'))!;
      const baseline = Math.max(...rates.lines.flatMap((l) => l.points.map(([, y]) => y)));
      const settled = rateB.points.filter(([x]) => x > rateRule.x + 40);
      expect(settled.length).toBeGreaterThan(50);
      for (const [, y] of settled) expect(baseline - y).toBeLessThan(1.5);
      expect(await page.locator(`article#${data.id} tr[data-kind="subflow-stalled"]`).count()).toBe(1);
      await expectDrawnAndOffline(page, requests, file, SUBFLOW_COLORS.slice(0, 2));
      await page.close();
    } finally {
      if (down) await lab().linkUp(2);
      await ftp.stop();
    }
  });
});

describe.skipIf(skip)('FTP ALG, checksums on', () => {
  requireDist();
  const checksumOn = { 'net.mptcp.checksum_enabled': 1 };
  const lab = useLab({ topology: 'routed', links: 1, sysctls: { client: checksumOn, server: checksumOn } });

  test('the fallback marker is on the control connection, the span after it shaded', async () => {
    const box = await lab().middlebox.ftpAlg({ port: 2152 });
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2152, files: { 'f.bin': 1 << 20 } });
    const file = join(lab().tmpDir, 'alg.html');
    try {
      const run = await lab().runNode('client', ['probe', ftp.url('f.bin'), '--json', '--mode', 'active', '--timeout', '20', '--report', file], { timeoutMs: 60_000 });
      const result = JSON.parse(run.stdout) as ProbeJson;
      expect(result.connections[0]).toMatchObject({ role: 'control', status: 'fell-back', cause: 'payload-rewritten' });
      const control = result.timeline.groups[0]!.connections.find((c) => c.role === 'control')!;
      const fellBack = control.markers.filter((m) => m.kind === 'fell-back');
      expect(fellBack).toHaveLength(1);
      const login = control.markers.find((m) => m.label === 'logged in')!;
      // MPTCP through login: the fallback came with the data-channel command the ALG rewrote.
      expect(fellBack[0]!.atMs).toBeGreaterThan(login.atMs);
      expect(control.states.map((s) => s.state)).toEqual(['mptcp', 'fallback']);
      for (const c of result.timeline.groups[0]!.connections.filter((c) => c.role === 'data')) {
        expect(c.markers.some((m) => m.kind === 'fell-back')).toBe(false);
      }

      const { page, requests } = await browser!.open(file);
      await expectOneSeriesPerSubflow(page, result.timeline);
      const rates = await drawn(page, control.id, 'throughput', 'markers');
      const rule = rates.rules.find((r) => r.label === 'fell-back: fell back to TCP');
      expect(rule).toBeDefined();
      // The shaded span starts at the fallback rule.
      const shade = await page.locator(`article#${control.id} g.noMptcp_marks path[aria-label="fell back to TCP"]`).evaluate((p) => {
        const box = p.getBoundingClientRect();
        return { left: box.left + (globalThis as unknown as InPageWindow).scrollX, width: box.width };
      });
      expect(Math.abs(shade.left - rule!.x)).toBeLessThan(2);
      expect(shade.width).toBeGreaterThan(2);
      expect(await page.locator(`article#${control.id} tr[data-kind="fell-back"]`).count()).toBe(1);
      await expectDrawnAndOffline(page, requests, file, SUBFLOW_COLORS.slice(0, 1));
      await page.close();
    } finally {
      await ftp.stop();
      await box.remove();
    }
  });
});

describe.skipIf(skip)('the request watch itself', () => {
  let dir: string;
  let server: http.Server;
  let hits = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'report-requests-'));
    server = http.createServer((_, response) => {
      hits += 1;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
  });

  test('sees a page that reaches out; the report\'s policy keeps the same page from reaching anything', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pixel.png`;
    const page = `<p>x</p><img src="${url}">`;
    const open = join(dir, 'reaches-out.html');
    writeFileSync(open, `<!doctype html>${page}`);
    const first = await browser!.open(open);
    expect(first.requests).toEqual([`file://${open}`, url]);
    expect(hits).toBe(1);
    await first.page.close();
    const guarded = join(dir, 'guarded.html');
    writeFileSync(guarded, `<!doctype html><meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">${page}`);
    const second = await browser!.open(guarded);
    await second.page.waitForTimeout(500);
    expect(hits).toBe(1);
    await second.page.close();
  });
});
