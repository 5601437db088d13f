// Vega-Lite specification -> SVG text, in Node, with no browser and no canvas: Vega lays out the
// axes, scales, lines and legend itself. This module is the only one that loads vega and vega-lite
// (about 2 MB of code), and html-report.ts imports it dynamically: commands run without --report
// never pay for it.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * A loader that loads nothing: every chart's data is inline, and a report must never reach out
 * (a specification that named a URL would otherwise be fetched while rendering).
 */
function offlineLoader(): vega.Loader {
  const refuse = (uri: string) => Promise.reject(new Error(`the report renders offline: not loading ${uri}`));
  const loader = vega.loader();
  loader.load = refuse;
  loader.http = refuse;
  loader.file = refuse;
  return loader;
}

export async function renderChartSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: offlineLoader(), logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
