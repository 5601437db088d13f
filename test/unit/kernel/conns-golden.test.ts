// The conns reports, byte for byte, against goldens (fixtures/conns-golden.json) written by the
// first implementation of the model and renderers, before they were rewritten for speed: the text
// (plain and coloured), the JSON snapshot and Prometheus, unfiltered and under each filter.
// Two captures: scenario.py's sockets (fixtures/capture.sh) with one synthetic owner, and
// scenario-rich.py's beside them (fixtures/capture-rich.sh) with the owners /proc showed: a command
// name with spaces and a tab, a socket shared with a forked child, long IPv6 addresses that wrap,
// IPv4 clients of a dual-stack listener, MiB counters.
import { describe, expect, it } from 'vitest';
import { buildConns, snapshotOf, type ConnsModel } from '../../../src/kernel/conns-builder.js';
import type { ConnsFilter } from '../../../src/kernel/host-connections.js';
import { socketInodes } from '../../../src/kernel/sock-diag.js';
import { renderConns } from '../../../src/report/conns.js';
import { renderConnsPrometheus } from '../../../src/report/conns-prometheus.js';
import type { SocketOwner } from '../../../src/sys/socket-owners.js';
import { fixture } from './fixtures.js';

const golden = JSON.parse(fixture('conns-golden.json').toString('utf8')) as Record<'base' | 'rich', Record<string, string>>;

const filters: Record<string, ConnsFilter> = {
  none: {}, port7000: { port: 7000 }, port7020: { port: 7020 }, pid17670: { pid: 17670 }, pid17769: { pid: 17769 },
  peer4: { peer: '127.0.0.0/8' }, peer6: { peer: '::1' }, peerfd: { peer: 'fd00::/16' }, peerMapped: { peer: '127.0.0.1' },
  fallback: { state: 'fallback' }, mptcp: { state: 'mptcp' }, combo: { port: 7020, state: 'fallback' },
};

function modelOf(set: 'base' | 'rich'): ConnsModel {
  const prefix = set === 'base' ? '' : 'rich-';
  const mptcp = [fixture(`${prefix}mptcp4.bin`), fixture(`${prefix}mptcp6.bin`)];
  const tcp = [fixture(`${prefix}tcp4.bin`), fixture(`${prefix}tcp6.bin`)];
  const owners: Map<number, SocketOwner[]> = set === 'base'
    ? new Map([...socketInodes(mptcp, 'mptcp'), ...socketInodes(tcp, 'tcp')].map((inode) => [inode, [{ pid: 812, command: 'nginx' }]]))
    : new Map(Object.entries(JSON.parse(fixture('rich-owners.json').toString('utf8')) as Record<string, SocketOwner[]>).map(([inode, list]) => [Number(inode), list]));
  return buildConns({ mptcp, tcp, owners });
}

describe.each(['base', 'rich'] as const)('conns output on the %s capture is what it always was', (set) => {
  const model = modelOf(set);
  const expected = golden[set];

  it.each(Object.keys(filters))('filter %s: text, and JSON, colour and Prometheus where recorded', (name) => {
    const filtered = snapshotOf(model, filters[name]!);
    expect(renderConns(filtered, { color: false })).toBe(expected[`${name}.text`]);
    if (expected[`${name}.json`] !== undefined) expect(JSON.stringify(filtered, null, 2)).toBe(expected[`${name}.json`]);
    if (expected[`${name}.color`] !== undefined) expect(renderConns(filtered, { color: true })).toBe(expected[`${name}.color`]);
    if (expected[`${name}.prometheus`] !== undefined) expect(renderConnsPrometheus(filtered)).toBe(expected[`${name}.prometheus`]);
  });
});
