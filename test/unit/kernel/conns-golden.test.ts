// The conns reports, byte for byte, against goldens (fixtures/conns-golden.json) written by the
// first implementation of the model and renderers, before they were rewritten for speed: the text
// (plain and coloured), the JSON snapshot and Prometheus, unfiltered and under each filter.
// Two captures: scenario.py's sockets (fixtures/capture.sh) with one made-up owner, and
// scenario-rich.py's beside them (fixtures/capture-rich.sh) with the owners /proc showed: a command
// name with spaces and a tab, a socket shared with a forked child, long IPv6 addresses that wrap,
// IPv4 clients of a dual-stack listener, MiB counters. fixtures/conns-golden.ts writes the file.
import { describe, expect, it } from 'vitest';
import { snapshotOf } from '../../../src/kernel/conns-builder.js';
import { selectConnections } from '../../../src/kernel/conns-selection.js';
import { connsReportPieces, renderConns } from '../../../src/report/conns.js';
import { jsonPieces } from '../../../src/report/conns-json.js';
import { renderConnsPrometheus } from '../../../src/report/conns-prometheus.js';
import { goldenFilters as filters, goldenModel } from './fixtures/conns-golden.js';
import { fixture } from './fixtures.js';

const golden = JSON.parse(fixture('conns-golden.json').toString('utf8')) as Record<'base' | 'rich', Record<string, string>>;

describe.each(['base', 'rich'] as const)('conns output on the %s capture is what it always was', (set) => {
  const model = goldenModel(set);
  const expected = golden[set];

  it.each(Object.keys(filters))('filter %s: text, and JSON, colour and Prometheus where recorded', (name) => {
    const filtered = snapshotOf(model, filters[name]!);
    expect(renderConns(filtered, { color: false })).toBe(expected[`${name}.text`]);
    if (expected[`${name}.json`] !== undefined) expect(JSON.stringify(filtered, null, 2)).toBe(expected[`${name}.json`]);
    if (expected[`${name}.color`] !== undefined) expect(renderConns(filtered, { color: true })).toBe(expected[`${name}.color`]);
    if (expected[`${name}.prometheus`] !== undefined) expect(renderConnsPrometheus(filtered)).toBe(expected[`${name}.prometheus`]);
  });

  it.each(Object.keys(filters))('filter %s, written as conns writes it: in pieces, one reused view after another', (name) => {
    const selection = selectConnections(model, filters[name]!);
    expect([...connsReportPieces(selection, selection.transientConnections(), { color: false })].join('\n')).toBe(expected[`${name}.text`]);
    if (expected[`${name}.json`] !== undefined) {
      const json = { connections: selection.transientConnections(), listeners: selection.listeners, processes: selection.processes, totals: selection.totals };
      expect([...jsonPieces(json, 'connections')].join('\n')).toBe(expected[`${name}.json`]);
    }
  });
});
