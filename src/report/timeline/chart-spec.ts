// One connection's chart as a Vega-Lite specification: per subflow its throughput (top) and the bytes
// it carried (bottom) over time, the markers as vertical rules, spans without MPTCP shaded. Plain
// data: render-chart.ts turns it into SVG with Vega, which does all the geometry.
import type { TopLevelSpec } from 'vega-lite';
import { ratesOf } from './series.js';
import type { TimelineConnection, TimelineMarker, TimelineMarkerKind } from './session-timeline.js';

export const CHART_WIDTH = 720;
const RATE_HEIGHT = 150;
const BYTES_HEIGHT = 90;

/** Mark names in the spec; the SVG carries them as classes (`throughput_marks`), which tests look for. */
export const CHART_MARKS = {
  throughput: 'throughput',
  carried: 'carried',
  markers: 'markers',
  markerLabels: 'markerLabels',
  noMptcp: 'noMptcp',
} as const;

/** Subflow colours, in order (Vega's tableau10): the page's legend swatches use the same. */
export const SUBFLOW_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#e45756', '#72b7b2', '#eeca3b', '#ff9da6', '#9d755d', '#bab0ac'];

export function subflowColor(index: number): string {
  return SUBFLOW_COLORS[index % SUBFLOW_COLORS.length]!;
}

export const MARKER_STYLE: Record<TimelineMarkerKind, { color: string; dash: number[]; width: number }> = {
  phase: { color: '#8a8a8a', dash: [3, 3], width: 1 },
  'subflow-joined': { color: '#2e7d32', dash: [], width: 1.5 },
  'subflow-stalled': { color: '#e65100', dash: [], width: 2 },
  'subflow-closed': { color: '#c62828', dash: [], width: 2 },
  'subflow-reset': { color: '#c62828', dash: [], width: 2 },
  'fell-back': { color: '#b71c1c', dash: [], width: 3 },
  'gave-up': { color: '#212121', dash: [6, 3], width: 2 },
  anomaly: { color: '#6a1b9a', dash: [], width: 2 },
};

interface Unit {
  divisor: number;
  name: string;
}

function rateUnit(maxBitsPerSecond: number): Unit {
  if (maxBitsPerSecond >= 1e9) return { divisor: 1e9, name: 'Gbit/s' };
  if (maxBitsPerSecond >= 1e6) return { divisor: 1e6, name: 'Mbit/s' };
  if (maxBitsPerSecond >= 1e3) return { divisor: 1e3, name: 'kbit/s' };
  return { divisor: 1, name: 'bit/s' };
}

function byteUnit(maxBytes: number): Unit {
  if (maxBytes >= 1 << 30) return { divisor: 1 << 30, name: 'GiB' };
  if (maxBytes >= 1 << 20) return { divisor: 1 << 20, name: 'MiB' };
  if (maxBytes >= 1 << 10) return { divisor: 1 << 10, name: 'KiB' };
  return { divisor: 1, name: 'bytes' };
}

/** Roughly how wide a 10 px label is, in pixels: enough to keep labels apart. */
const LABEL_CHAR_PX = 6;
const LABEL_ROWS = 6;

/**
 * A text row for each marker label, so that labels close in time do not sit on each other: a label
 * takes the first row where its extent (right of its rule, or left of it near the right edge) is free.
 */
function labelRows(markers: readonly TimelineMarker[], startMs: number, spanMs: number): Array<{ row: number; rightAligned: boolean }> {
  const taken: Array<Array<[number, number]>> = Array.from({ length: LABEL_ROWS }, () => []);
  return markers.map((marker) => {
    const atPx = ((marker.atMs - startMs) / spanMs) * CHART_WIDTH;
    const widthPx = marker.label.length * LABEL_CHAR_PX + 6;
    const rightAligned = atPx + widthPx > CHART_WIDTH;
    const extent: [number, number] = rightAligned ? [atPx - widthPx, atPx] : [atPx, atPx + widthPx];
    let row = taken.findIndex((intervals) => intervals.every(([a, b]) => extent[1] <= a || extent[0] >= b));
    if (row < 0) row = LABEL_ROWS - 1;
    taken[row]!.push(extent);
    return { row, rightAligned };
  });
}

export function markerDescription(marker: TimelineMarker): string {
  return `${marker.kind}: ${marker.label}${marker.subflow ? ` (${marker.subflow})` : ''}`;
}

/** `clock`: what the times count from, in words (TimelineGroup's clock). */
export function connectionChartSpec(connection: TimelineConnection, clock = 'the run started'): TopLevelSpec {
  const startMs = connection.startMs;
  // A connection looked at once still gets a visible axis.
  const endMs = Math.max(connection.endMs, startMs + 1);
  const spanMs = endMs - startMs;
  const x = { field: 'atMs', type: 'quantitative' as const, title: `ms since ${clock}`, scale: { domain: [startMs, endMs], nice: false, zero: false } };

  // Drawn as steps ending at each look; the first step also needs the point where it starts.
  const rates = connection.subflows.flatMap((subflow) => {
    const steps = ratesOf(subflow.points);
    const first = steps[0];
    const lead = first ? [{ subflow: subflow.label, atMs: first.fromMs, value: first.bitsPerSecond }] : [];
    return [...lead, ...steps.map((rate) => ({ subflow: subflow.label, atMs: rate.atMs, value: rate.bitsPerSecond }))];
  });
  const rate = rateUnit(Math.max(0, ...rates.map((r) => r.value)));
  for (const r of rates) r.value /= rate.divisor;
  const carried = connection.subflows.flatMap((subflow) => subflow.points.map((p) => ({ subflow: subflow.label, atMs: p.atMs, value: p.bytes })));
  const bytes = byteUnit(Math.max(0, ...carried.map((c) => c.value)));
  for (const c of carried) c.value /= bytes.divisor;

  // Subflows known only from events (watch without looks) draw no line: a fixed axis instead of an
  // empty extent, which Vega would warn about.
  const emptyAxis = (values: readonly unknown[]) => (values.length === 0 ? { scale: { domain: [0, 1] } } : {});

  const rows = labelRows(connection.markers, startMs, spanMs);
  const markers = connection.markers.map((marker, i) => ({
    atMs: marker.atMs,
    label: marker.label,
    description: markerDescription(marker),
    color: MARKER_STYLE[marker.kind].color,
    width: MARKER_STYLE[marker.kind].width,
    dash: MARKER_STYLE[marker.kind].dash,
    y: 4 + rows[i]!.row * 12,
    right: rows[i]!.rightAligned,
  }));
  const noMptcp = connection.states
    .filter((span) => span.state !== 'mptcp')
    .map((span) => ({ atMs: span.fromMs, toMs: Math.max(span.toMs, span.fromMs + spanMs / 200), description: span.state === 'fallback' ? 'fell back to TCP' : 'plain TCP' }));

  const color = {
    field: 'subflow',
    type: 'nominal' as const,
    title: 'subflow',
    scale: { domain: connection.subflows.map((s) => s.label), range: connection.subflows.map((_, i) => subflowColor(i)) },
  };
  const band = (name: string) => ({
    name,
    data: { values: noMptcp },
    mark: { type: 'rect' as const, color: '#c62828', opacity: 0.1 },
    encoding: { x, x2: { field: 'toMs' }, description: { field: 'description' } },
  });
  const rules = (name: string) => ({
    name,
    data: { values: markers },
    mark: { type: 'rule' as const },
    encoding: {
      x,
      color: { field: 'color', type: 'nominal' as const, scale: null },
      strokeWidth: { field: 'width', type: 'quantitative' as const, scale: null },
      strokeDash: { field: 'dash', type: 'nominal' as const, scale: null },
      description: { field: 'description' },
    },
  });
  const labels = (right: boolean) => ({
    name: `${CHART_MARKS.markerLabels}${right ? 'Right' : 'Left'}`,
    data: { values: markers },
    transform: [{ filter: right ? 'datum.right' : '!datum.right' }],
    mark: { type: 'text' as const, align: right ? ('right' as const) : ('left' as const), baseline: 'top' as const, dx: right ? -3 : 3, fontSize: 10 },
    encoding: {
      x,
      y: { field: 'y', type: 'quantitative' as const, scale: null },
      text: { field: 'label' },
      color: { field: 'color', type: 'nominal' as const, scale: null },
    },
  });

  return {
    config: {
      font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
      view: { stroke: '#d0d0d0' },
      axis: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#ececec' },
      legend: { orient: 'bottom', direction: 'vertical', labelLimit: 0, titleFontWeight: 'normal', labelFontSize: 11 },
    },
    vconcat: [
      {
        width: CHART_WIDTH,
        height: RATE_HEIGHT,
        layer: [
          band(CHART_MARKS.noMptcp),
          {
            name: CHART_MARKS.throughput,
            data: { values: rates },
            mark: { type: 'line', interpolate: 'step-before', strokeWidth: 2 },
            encoding: {
              x,
              y: { field: 'value', type: 'quantitative', title: `throughput (${rate.name})`, ...emptyAxis(rates) },
              color,
              description: { field: 'subflow' },
            },
          },
          rules(CHART_MARKS.markers),
          labels(false),
          labels(true),
        ],
      },
      {
        width: CHART_WIDTH,
        height: BYTES_HEIGHT,
        layer: [
          band(`${CHART_MARKS.noMptcp}Lower`),
          {
            name: CHART_MARKS.carried,
            data: { values: carried },
            mark: { type: 'line', point: { size: 14, filled: true }, strokeWidth: 1.5 },
            encoding: {
              x,
              y: { field: 'value', type: 'quantitative', title: `carried (${bytes.name})`, ...emptyAxis(carried) },
              color,
              description: { field: 'subflow' },
            },
          },
          rules(`${CHART_MARKS.markers}Lower`),
        ],
      },
    ],
  };
}
