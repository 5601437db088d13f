// `mptcp-doctor watch --report FILE` as a user runs it, in a namespace of its own: an MPTCP connection
// gains a second subflow (a subflow endpoint on a second loopback address), moves data on both,
// loses the second when the endpoint is deleted, and closes; Ctrl-C then ends the watch. The page
// must have been written all the same, say what happened, and load nothing.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, startChromium } from '../support/chromium.js';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { createNetns, type Netns } from '../support/netns.js';
import { untilWatching } from '../support/watch-ready.js';

const skip = missingRequirement('watch --report in a namespace', 'root', 'netns', 'tool:python3');
const skipBrowser = skip ?? missingRequirement('watch --report in chromium', `file:${CHROMIUM}`);

const SERVER = '10.77.0.1';
const SECOND = '10.77.0.2';

// Prints the two ends as JSON, then moves 4 MB in 200 KB steps (about 2 s: several looks at 250 ms
// see both subflows), deletes the endpoint (its subflow closes), moves a little more and closes.
const SCENARIO = [
  'import json, socket, subprocess, sys, time',
  `l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); l.bind(("${SERVER}", 0)); l.listen(1)`,
  'c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); c.connect(l.getsockname())',
  's, _ = l.accept()',
  'print(json.dumps({"client": "%s:%d" % c.getsockname(), "server": "%s:%d" % l.getsockname()}), flush=True)',
  'def move(n):',
  '    c.sendall(b"x" * n); got = 0',
  '    while got < n: got += len(s.recv(1 << 20))',
  'for _ in range(20):',
  '    move(200000); time.sleep(0.1)',
  'subprocess.run(["ip", "mptcp", "endpoint", "delete", "id", "1"], check=True)',
  'time.sleep(0.5); move(200000); time.sleep(0.5)',
  'c.close(); s.close(); l.close()',
].join('\n');

/** One connection's <article>. */
function article(html: string, label: string): string {
  const heading = html.indexOf(`<h3>${label.replace('>', '&gt;')}`);
  expect(heading, `an article for ${label}`).toBeGreaterThanOrEqual(0);
  const start = html.lastIndexOf('<article', heading);
  return html.slice(start, html.indexOf('</article>', heading));
}

describe.skipIf(skip)('watch --report', () => {
  let ns: Netns;
  let dir: string;
  let page = '';
  let clientLabel = '';
  beforeAll(async () => {
    ns = await createNetns('wreport');
    dir = mkdtempSync(join(tmpdir(), 'mptcp-doctor-watch-report-'));
    for (const address of [SERVER, SECOND]) await ns.exec(['ip', 'addr', 'add', `${address}/32`, 'dev', 'lo']);
    await ns.exec(['ip', 'mptcp', 'limits', 'set', 'subflows', '2', 'add_addr_accepted', '2']);
    await ns.exec(['ip', 'mptcp', 'endpoint', 'add', SECOND, 'dev', 'lo', 'id', '1', 'subflow']);
  });
  afterAll(async () => {
    await ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('Ctrl-C after the connection closed: exit 130, the page written with the connection, its join, the close and the bytes', async () => {
    page = join(dir, 'watch.html');
    const watch = execa('ip', ['netns', 'exec', ns.name, 'node', requireDist(), 'watch', '--report', page, '--interval', '0.25', '--verbose'], {
      reject: false, timeout: 60_000, buffer: true,
    });
    try {
      await untilWatching(watch);
      const scenario = await ns.exec(['python3', '-c', SCENARIO], { timeoutMs: 30_000 });
      const ends = JSON.parse(scenario.stdout.trim().split('\n')[0]!) as { client: string; server: string };
      // The connection's last events (closed) are read before the interruption.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      watch.kill('SIGINT');
      const r = await watch;
      expect(r.exitCode, String(r.stderr)).toBe(130);
      expect(String(r.stderr)).toMatch(/watched [\d.]+ s: \d+ events/);
      expect(existsSync(page)).toBe(true);

      const html = readFileSync(page, 'utf8');
      // Self-contained: nothing to fetch.
      expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
      expect(html).not.toMatch(/<script|<link/i);
      // The joined subflow's close on each end; an initial subflow's close may also be announced
      // before its connection's, depending on which side closes first.
      const ended = /2 MPTCP connections seen, 2 subflows joined, (\d+) closed or reset/.exec(html);
      expect(ended, 'the headline').not.toBeNull();
      expect(Number(ended![1])).toBeGreaterThanOrEqual(2);
      expect(Number(ended![1])).toBeLessThanOrEqual(4);

      const pid = /\(python3\/(\d+)\)/.exec(html)?.[1];
      expect(pid).toBeDefined();
      clientLabel = `${ends.client} -> ${ends.server} (python3/${pid})`;
      const client = article(html, clientLabel);
      expect(client).toContain('data-subflows="2"');
      const second = `${SECOND}:`;
      expect(client).toMatch(new RegExp(`<tr data-kind="subflow-joined"[^>]*>.*?joined</td><td>${second.replace(/\./g, '\\.')}\\d+ → ${ends.server}`));
      expect(client).toMatch(new RegExp(`<tr data-kind="subflow-closed"[^>]*>.*?closed</td><td>${second.replace(/\./g, '\\.')}\\d+ → ${ends.server}`));
      expect(client).toContain('connection closed');
      // Both subflows were looked at while they carried data: a line each in both panels.
      expect(client).not.toContain('not sampled');
      expect(client.match(/<g class="mark-line role-mark throughput_marks"/g)).toHaveLength(2);
      expect(client.match(/<g class="mark-line role-mark carried_marks"/g)).toHaveLength(2);
      // The server's side of the same connection: accepted here, its subflows keyed by both ends.
      expect(html).toContain(`${ends.server} -&gt; ${ends.client} (python3/${pid})`);
      expect(html).toContain('server side: accepted on this host');
      // The join's SYN among the counters that moved (a busy machine's path manager may try twice).
      expect(html).toMatch(/MPTcpExtMPJoinSynTx<\/td><td class="num">\+[1-9]/);
    } finally {
      watch.kill('SIGKILL');
      await watch;
    }
  }, 90_000);

  it('--count ends it by itself: exit 0, the page written', async () => {
    const file = join(dir, 'count.html');
    const listen = `import socket, time; l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); l.bind(("${SERVER}", 0)); l.listen(1); time.sleep(1)`;
    const watch = execa('ip', ['netns', 'exec', ns.name, 'node', requireDist(), 'watch', '--report', file, '--count', '1', '--interval', '0', '--verbose'], {
      reject: false, timeout: 30_000, buffer: true,
    });
    try {
      await untilWatching(watch);
      await ns.exec(['python3', '-c', listen]);
      const r = await watch;
      expect(r.exitCode, String(r.stderr)).toBe(0);
      const html = readFileSync(file, 'utf8');
      expect(html).toContain('0 MPTCP connections seen');
      expect(html).toContain('watched');
    } finally {
      watch.kill('SIGKILL');
      await watch;
    }
  }, 60_000);

  it.skipIf(skipBrowser)('in chromium: one series per subflow in both panels, and no request but the page', async () => {
    expect(clientLabel, 'the first test wrote the page').not.toBe('');
    const browser = await startChromium();
    try {
      const { page: view, requests } = await browser.open(page);
      const client = view.locator('article', { has: view.locator('h3', { hasText: clientLabel }) });
      expect(await client.getAttribute('data-subflows')).toBe('2');
      for (const mark of ['throughput', 'carried']) {
        const labels = await client.locator(`g.mark-line.${mark}_marks path`).evaluateAll((paths) => paths.map((p) => p.getAttribute('aria-label')));
        expect(labels, mark).toHaveLength(2);
        expect(labels.some((l) => l?.startsWith(`${SECOND}:`)), mark).toBe(true);
      }
      expect(requests).toEqual([`file://${page}`]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
