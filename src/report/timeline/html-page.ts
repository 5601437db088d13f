// The report page: one self-contained HTML file around the charts. No script at all, the style and
// the SVG charts inline, and a Content-Security-Policy that forbids loading anything: opened from a
// mail attachment or an air-gapped host, the page makes no request.
import { formatBytes } from '../units.js';
import { markerDescription, MARKER_STYLE, subflowColor } from './chart-spec.js';
import { lastGrowthMs, totalBytes } from './series.js';
import type { SessionTimeline, TimelineConnection, TimelineTone } from './session-timeline.js';

/** Nothing may be fetched: no script, no font, no image other than inline data, no connection. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

export interface HtmlPageOptions {
  /** When the report was made (shown in the page). */
  generatedAt?: Date;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
:root { color-scheme: light; --good: #2e7d32; --warn: #b26a00; --bad: #c62828; --neutral: #555; --rule: #e3e3e3; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d1d1d; background: #fff; margin: 0 auto; max-width: 900px; padding: 24px; }
header { border-bottom: 1px solid var(--rule); padding-bottom: 12px; margin-bottom: 16px; }
.tool { color: #666; font-size: 12px; margin: 0 0 6px; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
ul { margin: 4px 0; padding-left: 20px; }
.tone-good { color: var(--good); } .tone-warn { color: var(--warn); } .tone-bad { color: var(--bad); } .tone-neutral { color: var(--neutral); }
.status { font-weight: normal; font-size: 13px; margin-left: 8px; }
figure.chart { margin: 8px 0; overflow-x: auto; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 12.5px; }
th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; border-bottom: 1px solid var(--rule); }
th { font-weight: 600; color: #444; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.detail { color: #555; }
.empty { color: #777; font-style: italic; }
footer { margin-top: 32px; color: #777; font-size: 12px; border-top: 1px solid var(--rule); padding-top: 8px; }
`;

function tone(text: string, t: TimelineTone): string {
  return `<span class="tone-${t}">${escapeHtml(text)}</span>`;
}

function list(items: readonly string[], className: string): string {
  if (items.length === 0) return `<p class="empty">none</p>`;
  return `<ul class="${className}">${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
}

/** A time in a table cell; '-' for none (a subflow known only from the kernel's events has no looks). */
function ms(atMs: number | undefined): string {
  return atMs === undefined ? '-' : `${atMs} ms`;
}

function subflowTable(connection: TimelineConnection): string {
  const rows = connection.subflows.map((subflow, index) => {
    const grew = lastGrowthMs(subflow.points);
    return (
      `<tr data-subflow="${escapeHtml(subflow.key)}">` +
      `<td><span class="swatch" style="background:${subflowColor(index)}"></span>${escapeHtml(subflow.label)}</td>` +
      `<td class="num">${subflow.points.length === 0 ? 'not sampled' : escapeHtml(formatBytes(totalBytes(subflow.points)))}</td>` +
      `<td class="num">${ms(subflow.points[0]?.atMs)}</td>` +
      `<td class="num">${ms(grew)}</td>` +
      `<td class="num">${ms(subflow.points.at(-1)?.atMs)}</td></tr>`
    );
  });
  return `<table class="subflows"><thead><tr><th>subflow (local → remote)</th><th>carried</th><th>first seen</th><th>last grew</th><th>last seen</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function markerTable(connection: TimelineConnection): string {
  if (connection.markers.length === 0) return '';
  const rows = connection.markers.map(
    (marker) =>
      `<tr data-kind="${marker.kind}" title="${escapeHtml(markerDescription(marker))}">` +
      `<td class="num">${marker.atMs} ms</td>` +
      `<td><span class="swatch" style="background:${MARKER_STYLE[marker.kind].color}"></span>${escapeHtml(marker.label)}</td>` +
      `<td>${escapeHtml(marker.subflow ?? '')}</td>` +
      `<td class="detail">${escapeHtml(marker.detail ?? '')}</td></tr>`,
  );
  return `<table class="markers"><thead><tr><th>at</th><th>what</th><th>subflow</th><th>detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function connectionSection(connection: TimelineConnection, chart: string | undefined): string {
  const status = connection.status ? `<span class="status tone-${connection.status.tone}">${escapeHtml(connection.status.text)}</span>` : '';
  const span = `${connection.startMs}-${connection.endMs} ms`;
  const body =
    connection.subflows.length === 0
      ? `<p class="empty">no look at this connection recorded a subflow</p>`
      : `<figure class="chart" aria-label="${escapeHtml(`${connection.label}: throughput and bytes carried per subflow`)}">${chart ?? ''}</figure>${subflowTable(connection)}`;
  const evidence = connection.evidence && connection.evidence.length > 0 ? list(connection.evidence, 'connection-evidence') : '';
  return (
    `<article class="connection" id="${escapeHtml(connection.id)}" data-connection="${escapeHtml(connection.id)}" data-role="${connection.role}" data-subflows="${connection.subflows.length}">` +
    `<h3>${escapeHtml(connection.label)}${status} <span class="detail status">${span}</span></h3>` +
    body +
    markerTable(connection) +
    evidence +
    `</article>`
  );
}

function counterSection(timeline: SessionTimeline): string {
  const blocks = timeline.counters.map((side) => {
    const entries = Object.entries(side.moved).sort(([a], [b]) => a.localeCompare(b));
    const table =
      entries.length === 0
        ? `<p class="empty">none moved</p>`
        : `<table class="counters"><tbody>${entries.map(([name, value]) => `<tr><td>MPTcpExt${escapeHtml(name)}</td><td class="num">${value > 0 ? '+' : ''}${value}</td></tr>`).join('')}</tbody></table>`;
    return `<h3>${escapeHtml(side.label)}</h3>${table}`;
  });
  return `<section class="counters"><h2>Counters that moved</h2>${blocks.join('')}</section>`;
}

/** The whole page; `charts` maps a connection id to its SVG (as render-chart.ts made it). */
export function buildHtmlPage(timeline: SessionTimeline, charts: ReadonlyMap<string, string>, options: HtmlPageOptions = {}): string {
  const title = `mptcp-doctor ${timeline.command}: ${timeline.target}`;
  const generated = options.generatedAt ? ` · ${options.generatedAt.toISOString()}` : '';
  const groups = timeline.groups.map((group, index) => {
    const headline = group.headline ? `: ${tone(group.headline.text, group.headline.tone)}` : '';
    const connections = group.connections.map((c) => connectionSection(c, charts.get(c.id))).join('');
    return `<section class="group" id="group-${index}"><h2>${escapeHtml(group.label)}${headline}</h2>${connections || '<p class="empty">no connection</p>'}</section>`;
  });
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<header><p class="tool">mptcp-doctor ${escapeHtml(timeline.command)} report${escapeHtml(generated)}</p>`,
    `<h1 class="headline">${escapeHtml(timeline.target)}: ${tone(timeline.headline.text, timeline.headline.tone)}</h1>`,
    list(timeline.summary, 'summary'),
    '</header>',
    `<section class="advice"><h2>Advice</h2>${list(timeline.advice, 'advice')}</section>`,
    ...groups,
    counterSection(timeline),
    `<section class="evidence"><h2>Evidence</h2>${list(timeline.evidence, 'evidence')}</section>`,
    '<footer>Charts: per subflow, the throughput between two looks at the connection (top) and the bytes it carried so far (bottom); ' +
      'vertical rules mark FTP steps and other events (dashed grey), joins (green), subflows that stopped (orange) or closed (red), and fallback to TCP (dark red); ' +
      'shaded spans ran without MPTCP. Times count from the start of each run. This page loads nothing: no script, no external resource.</footer>',
    '</body></html>',
    '',
  ].join('\n');
}
