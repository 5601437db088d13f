// The reports built from the captured kernel bytes: text, Prometheus (parsed back), watch lines.
import parsePrometheus from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { explainCounter } from '../../../src/kernel/counter-explanations.js';
import { buildConnsSnapshot } from '../../../src/kernel/conns-builder.js';
import { decodeGetFamilyReply } from '../../../src/kernel/generic-netlink.js';
import { decodeMptcpEvent } from '../../../src/kernel/mptcp-events.js';
import { parseMessages } from '../../../src/kernel/netlink-frame.js';
import { decodeSocketDump } from '../../../src/kernel/sock-diag.js';
import { renderConns } from '../../../src/report/conns.js';
import { renderConnsPrometheus } from '../../../src/report/conns-prometheus.js';
import { formatWatchLine, watchJsonLine } from '../../../src/report/watch.js';
import { fixture } from './fixtures.js';

const dump = (name: string, protocol: 'tcp' | 'mptcp') => decodeSocketDump(fixture(name), protocol).sockets;
const mptcp = [...dump('mptcp4.bin', 'mptcp'), ...dump('mptcp6.bin', 'mptcp')];
const tcp = [...dump('tcp4.bin', 'tcp'), ...dump('tcp6.bin', 'tcp')];
const owners = new Map([...mptcp, ...tcp].map((s) => [s.inode, [{ pid: 812, command: 'nginx' }]]));
const snapshot = buildConnsSnapshot({ mptcp: [fixture('mptcp4.bin'), fixture('mptcp6.bin')], tcp: [fixture('tcp4.bin'), fixture('tcp6.bin')], owners });

describe('conns reports', () => {
  it('text: a summary line, the program, listeners and connections within 80 columns', () => {
    const text = renderConns(snapshot, { color: false });
    expect(text.split('\n')[0]).toBe('6 connections (4 MPTCP, 2 fell back), 7 subflows; listeners 2 MPTCP, 1 TCP');
    expect(text).toMatch(/nginx \(pid 812\): listeners 127\.0\.0\.1:7000 MPTCP, \[::1\]:7001 MPTCP,\s+127\.0\.0\.1:7002 plain TCP; 6 connections, 2 fell back/);
    expect(text).toContain('fallback (plain TCP), accepted');
    expect(text).toMatch(/subflow 127\.0\.0\.2:\d+ -> 127\.0\.0\.1:7000 established id 1\/0 \w*j/);
    // Each connection starts at the section's indent, its details and subflows below it deeper.
    const connections = text.split('\n').slice(text.split('\n').indexOf('Connections') + 1);
    expect(connections.filter((l) => / -> .*(mptcp|fallback)/.test(l)).every((l) => /^  \S/.test(l))).toBe(true);
    expect(connections.filter((l) => /^\s+(subflow|token) /.test(l)).every((l) => /^ {6}\S/.test(l))).toBe(true);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
  });

  it('Prometheus: valid text format, fallbacks per listener and per program', () => {
    const families = parsePrometheus(renderConnsPrometheus(snapshot));
    const metric = (name: string) => families.find((f) => f.name === name)!.metrics as Array<{ labels?: Record<string, string>; value: string }>;
    expect(metric('mptcp_doctor_listener_fallbacks')).toContainEqual({ labels: { listener: '127.0.0.1:7000', kind: 'mptcp', process: 'nginx' }, value: '1' });
    expect(metric('mptcp_doctor_process_connections')).toEqual([{ labels: { process: 'nginx' }, value: '6' }]);
    expect(metric('mptcp_doctor_connections')).toContainEqual({ labels: { state: 'fallback' }, value: '2' });
  });
});

describe('watch lines', () => {
  const family = decodeGetFamilyReply(fixture('genl-family-mptcp_pm.bin'), 'mptcp_pm');
  const events = parseMessages(fixture('events.bin')).map((m) => decodeMptcpEvent(m, family.id)!);
  const time = new Date('2026-01-02T03:04:05.678Z');

  it('a reset subflow names the peer\'s reason and the error', () => {
    const event = events.find((e) => e.resetReason !== undefined)!;
    const line = formatWatchLine({ type: 'event', time, event, token: 'abcd0123', connection: { process: { pid: 7, command: 'curl' } } }, false);
    expect(line.replace(/\s+/g, ' ')).toMatch(/^03:04:05\.678 sub_closed token abcd0123, 127\.0\.0\.2:\d+ -> 127\.0\.0\.1:7000, id 1\/0, error ECONNRESET, reset by the peer: unspecified error, curl\/7$/);
  });

  it('counters in words, and NDJSON with the schema on every line', () => {
    expect(explainCounter('MPCapableFallbackACK', 3)).toBe('3 incoming connections offered MPTCP and lost it after the SYN-ACK (third ACK without MP_CAPABLE)');
    expect(explainCounter('SomethingNew', 2)).toBe('SomethingNew changed by 2');
    const line = formatWatchLine({ type: 'counters', time, intervalMs: 1000, deltas: { MPJoinSynTx: 1 }, explanations: { MPJoinSynTx: explainCounter('MPJoinSynTx', 1) } }, false);
    expect(line).toContain('MPJoinSynTx +1: 1 MP_JOIN SYN sent');
    expect(JSON.parse(watchJsonLine({ type: 'loss', time, overflows: 2 }))).toEqual({ schema: 'mptcp-doctor/watch/v1', type: 'loss', overflows: 2, time: time.toISOString() });
  });
});
