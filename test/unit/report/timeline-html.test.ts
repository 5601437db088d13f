// The HTML report: a page that loads nothing, with one chart series per subflow and the markers in
// the SVG Vega draws (real vega and vega-lite, rendered in this process).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { timelineFromProbe } from '../../../src/report/timeline/from-probe.js';
import { buildHtmlPage, REPORT_CSP } from '../../../src/report/timeline/html-page.js';
import { renderHtmlReport } from '../../../src/report/timeline/html-report.js';
import { renderChartSvg } from '../../../src/report/timeline/render-chart.js';
import { algResult, LINK_DOWN_KEYS, linkDownResult } from './probe-fixture.js';

/** The aria-label of each line of a named Vega mark: one group with one path per series. */
function seriesLabels(svg: string, mark: string): string[] {
  return [...svg.matchAll(new RegExp(`<g class="mark-line role-mark ${mark}_marks"[^>]*><path aria-label="([^"]*)"`, 'g'))].map((m) => m[1]!);
}

/** The aria-label of each rule of a named Vega mark. */
function ruleLabels(svg: string, mark: string): string[] {
  const group = new RegExp(`<g class="mark-rule role-mark ${mark}_marks"[^>]*>(.*?)</g>`).exec(svg)?.[1] ?? '';
  return [...group.matchAll(/<line aria-label="([^"]*)"/g)].map((m) => m[1]!);
}

/** One connection's <article>. */
function article(html: string, id: string): string {
  const start = html.indexOf(`<article class="connection" id="${id}"`);
  expect(start).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</article>', start));
}

describe('the page around the charts', () => {
  const timeline = timelineFromProbe(linkDownResult());

  test('loads nothing: a CSP that forbids it, no script, no external reference', () => {
    const html = buildHtmlPage(timeline, new Map());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`);
    expect(REPORT_CSP).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(|@import/i);
  });

  test('headline, advice, evidence, counters, one article per connection with its subflows and markers', () => {
    const html = buildHtmlPage(timeline, new Map([['g0-c1', '<svg data-test="chart"></svg>']]));
    expect(html).toContain('<h1 class="headline">ftp://10.1.100.2:2119/big.bin: <span class="tone-warn">MPTCP held but degraded: path-failed</span></h1>');
    expect(html).toContain('<li>check that link</li>');
    expect(html).toContain('MPTcpExtDuplicateData</td><td class="num">+218');
    const data = article(html, 'g0-c1');
    expect(data).toContain('data-role="data" data-subflows="2"');
    expect(data).toContain('<svg data-test="chart"></svg>');
    expect(data).toContain(`<tr data-subflow="${LINK_DOWN_KEYS.second}">`);
    expect(data).toContain('<tr data-kind="subflow-stalled"');
    expect(data).toContain('<tr data-kind="subflow-joined"');
    expect(article(html, 'g0-c0')).toContain('226 transfer complete');
  });

  test('text from the far end is escaped', () => {
    const hostile = timelineFromProbe(linkDownResult());
    hostile.evidence = ['500 <script>alert(1)</script> & "quotes"'];
    hostile.groups[0]!.connections[0]!.markers.push({ atMs: 1, kind: 'anomaly', label: '<b>500</b>', detail: '<img src=x>' });
    const html = buildHtmlPage(hostile, new Map());
    expect(html).toContain('500 &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('&lt;img src=x&gt;');
    expect(html).not.toMatch(/<script|<img/);
  });
});

describe('charts rendered by Vega', () => {
  test('second path down: one line per subflow in both panels, the stop marked on the second subflow', async () => {
    const html = await renderHtmlReport(timelineFromProbe(linkDownResult()));
    const data = article(html, 'g0-c1');
    const labels = [`${LINK_DOWN_KEYS.first} → 10.1.100.2:30033`, `${LINK_DOWN_KEYS.second} → 10.1.100.2:30033`];
    expect(seriesLabels(data, 'throughput')).toEqual(labels);
    expect(seriesLabels(data, 'carried')).toEqual(labels);
    expect(ruleLabels(data, 'markers')).toContain(`subflow-stalled: stopped carrying data (${LINK_DOWN_KEYS.second})`);
    expect(ruleLabels(data, 'markers')).toContain(`subflow-joined: joined (${LINK_DOWN_KEYS.second})`);
    expect(data).toContain('>stopped carrying data</text>');
    // Each connection's chart is its own SVG.
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).not.toMatch(/<script|\bhref=|\bsrc=/i);
  });

  test('FTP ALG: the fallback rule and the shaded span are on the control connection', async () => {
    const html = await renderHtmlReport(timelineFromProbe(algResult()));
    const control = article(html, 'g0-c0');
    expect(ruleLabels(control, 'markers')).toContain('fell-back: fell back to TCP');
    expect(control).toMatch(/class="mark-rect role-mark noMptcp_marks"[^>]*><path aria-label="fell back to TCP"/);
    expect(ruleLabels(control, 'markers')).toEqual(expect.arrayContaining(['phase: EPRT', 'phase: logged in']));
    expect(ruleLabels(article(html, 'g0-c1'), 'markers').some((l) => l.startsWith('fell-back'))).toBe(false);
  });

  test('a chart that names a URL loads nothing from it', async () => {
    let requests = 0;
    const server = http.createServer((_, response) => {
      requests += 1;
      response.end('[{"a":1}]');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const spec = { data: { url: `http://127.0.0.1:${port}/data.json` }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } } as TopLevelSpec;
      const svg = await renderChartSvg(spec);
      expect(svg).toContain('<svg');
      expect(requests).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
