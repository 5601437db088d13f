// SessionTimeline -> the self-contained HTML report. The charting library loads here, on demand:
// a command imports this module only when --report is given.
import { connectionChartSpec } from './chart-spec.js';
import { buildHtmlPage, type HtmlPageOptions } from './html-page.js';
import type { SessionTimeline } from './session-timeline.js';

export async function renderHtmlReport(timeline: SessionTimeline, options: HtmlPageOptions = {}): Promise<string> {
  const { renderChartSvg } = await import('./render-chart.js');
  const charts = new Map<string, string>();
  for (const group of timeline.groups) {
    for (const connection of group.connections) {
      if (connection.subflows.length > 0) charts.set(connection.id, await renderChartSvg(connectionChartSpec(connection, group.clock)));
    }
  }
  return buildHtmlPage(timeline, charts, options);
}
