// A watch session as a timeline: made-up records of two connections (one that gains a subflow and
// loses it to a reset, one accepted here that closes cleanly), counter reports, looks at the bytes.
import { describe, expect, test } from 'vitest';
import type { MptcpEvent } from '../../../src/kernel/mptcp-events.js';
import type { ConnectionTag, SubflowLook, WatchRecord, WatchSummary } from '../../../src/kernel/watch-timeline.js';
import { timelineFromWatch, type WatchTimelineInput } from '../../../src/report/timeline/from-watch.js';
import { renderHtmlReport } from '../../../src/report/timeline/html-report.js';

const START = Date.parse('2026-01-01T00:00:00.000Z');
const t = (ms: number) => new Date(START + ms);

const CLIENT = 0x3c05dae5;
const SERVER = 0x5d5e09bc;
const client: ConnectionTag = { local: '10.1.1.1:40000', remote: '10.1.100.2:21', process: { pid: 4242, command: 'curl' } };
const server: ConnectionTag = { local: '10.1.100.2:21', remote: '10.9.9.9:50000', serverSide: true };

function event(ms: number, e: Omit<MptcpEvent, 'code'>, connection?: ConnectionTag): WatchRecord {
  return { type: 'event', time: t(ms), event: { code: 0, ...e }, ...(e.token !== undefined ? { token: e.token.toString(16) } : {}), ...(connection ? { connection } : {}) };
}

function counters(ms: number, deltas: Record<string, number>): WatchRecord {
  return { type: 'counters', time: t(ms), intervalMs: 1000, deltas, explanations: {} };
}

const ends = (local: string, remote: string) => {
  const [la, lp] = local.split(':');
  const [ra, rp] = remote.split(':');
  return { family: 4 as const, localAddress: la!, localPort: Number(lp), remoteAddress: ra!, remotePort: Number(rp) };
};

const RECORDS: WatchRecord[] = [
  event(100, { type: 'listener_created', localAddress: '10.1.100.2', localPort: 21 }),
  // The first line of the client goes out before its program is known: a later line names it.
  event(200, { type: 'created', token: CLIENT, ...ends('10.1.1.1:40000', '10.1.100.2:21') }, { local: client.local, remote: client.remote }),
  event(210, { type: 'established', token: CLIENT, ...ends('10.1.1.1:40000', '10.1.100.2:21') }, client),
  counters(1000, { MPCapableSYNTX: 1, MPCapableSYNACKRX: 1, MPCurrEstab: 1 }),
  event(1200, { type: 'announced', token: CLIENT, remoteAddress: '10.1.200.2', remoteId: 2 }, client),
  event(1300, { type: 'sub_established', token: CLIENT, ...ends('10.1.2.1:40001', '10.1.100.2:21'), localId: 1, remoteId: 0 }, client),
  event(2500, { type: 'sub_closed', token: CLIENT, ...ends('10.1.2.1:40001', '10.1.100.2:21'), error: 104, resetReason: 6, resetReasonText: 'middlebox interference' }, client),
  counters(3000, { MPJoinSynTx: 1, MPJoinSynAckRx: 1, MPRstRx: 1, MPCurrEstab: 1 }),
  event(3100, { type: 'removed', token: CLIENT, remoteId: 2 }, client),
  event(3500, { type: 'created', token: SERVER, ...ends('10.1.100.2:21', '10.9.9.9:50000'), serverSide: true }, server),
  event(3600, { type: 'sub_established', token: SERVER, ...ends('10.1.100.2:21', '10.9.8.8:50001') }, server),
  event(4000, { type: 'sub_closed', token: SERVER, ...ends('10.1.100.2:21', '10.9.8.8:50001') }, server),
  event(4500, { type: 'closed', token: SERVER }, server),
  counters(5000, { MPCapableSYNRX: 1, MPRstRx: 2, MPCurrEstab: -1 }),
];

const LOOKS: SubflowLook[] = [
  { time: t(1000), subflows: [{ token: CLIENT, local: '10.1.1.1:40000', remote: '10.1.100.2:21', bytes: 1000 }] },
  {
    time: t(2000),
    subflows: [
      { token: CLIENT, local: '10.1.1.1:40000', remote: '10.1.100.2:21', bytes: 5000 },
      { token: CLIENT, local: '10.1.2.1:40001', remote: '10.1.100.2:21', bytes: 3000 },
      // a connection the watch never saw: left out
      { token: 0x1234, local: '10.5.5.5:1', remote: '10.6.6.6:2', bytes: 99 },
    ],
  },
];

const SUMMARY: WatchSummary = { durationMs: 6000, events: 12, overflows: 0, counterReports: 3, eventsAvailable: true };

function input(overrides: Partial<WatchTimelineInput> = {}): WatchTimelineInput {
  return { target: 'host1', startedAt: t(0), endedAt: t(6000), records: RECORDS, looks: LOOKS, lookIntervalMs: 1000, summary: SUMMARY, ...overrides };
}

describe('a watch session as a timeline', () => {
  const timeline = timelineFromWatch(input());
  const [clientConn, serverConn] = timeline.groups[0]!.connections;

  test('one group on the watch clock, one connection per token, labelled by its addresses and program', () => {
    expect(timeline.command).toBe('watch');
    expect(timeline.groups).toHaveLength(1);
    expect(timeline.groups[0]).toMatchObject({ label: 'watch session', clock: 'the watch started' });
    expect(timeline.groups[0]!.connections).toHaveLength(2);
    expect(clientConn!.label).toBe('10.1.1.1:40000 -> 10.1.100.2:21 (curl/4242)');
    expect(serverConn!.label).toBe('10.1.100.2:21 -> 10.9.9.9:50000');
    expect(clientConn!.evidence).toEqual(['token 3c05dae5 on this host', 'client side: opened from this host']);
    expect(serverConn!.evidence).toEqual(['token 5d5e09bc on this host', 'server side: accepted on this host']);
  });

  test('spans: from created to closed, or to the end of the watch when still open; MPTCP throughout', () => {
    expect(clientConn).toMatchObject({ startMs: 200, endMs: 6000, states: [{ state: 'mptcp', fromMs: 200, toMs: 6000 }] });
    expect(serverConn).toMatchObject({ startMs: 3500, endMs: 4500, states: [{ state: 'mptcp', fromMs: 3500, toMs: 4500 }] });
    expect(clientConn!.status).toEqual({ text: '2 subflows, 1 reset, open at the end of the watch', tone: 'warn' });
    expect(serverConn!.status).toEqual({ text: '2 subflows, closed', tone: 'good' });
  });

  test('subflows: the initial one and one per join, keyed by both ends (the accepting side shares its local port)', () => {
    expect(clientConn!.subflows.map((s) => s.key)).toEqual(['10.1.1.1:40000 → 10.1.100.2:21', '10.1.2.1:40001 → 10.1.100.2:21']);
    expect(serverConn!.subflows.map((s) => s.label)).toEqual(['10.1.100.2:21 → 10.9.9.9:50000', '10.1.100.2:21 → 10.9.8.8:50001']);
  });

  test('points: the looks at the bytes, on the watch clock, only for tokens the watch saw', () => {
    expect(clientConn!.subflows[0]!.points).toEqual([{ atMs: 1000, bytes: 1000 }, { atMs: 2000, bytes: 5000 }]);
    expect(clientConn!.subflows[1]!.points).toEqual([{ atMs: 2000, bytes: 3000 }]);
    expect(serverConn!.subflows.every((s) => s.points.length === 0)).toBe(true);
    expect(JSON.stringify(timeline)).not.toContain('10.5.5.5');
  });

  test('markers: established, joined, reset with the error and the MP_TCPRST reason in words, addresses, close', () => {
    expect(clientConn!.markers.map((m) => [m.atMs, m.kind, m.label])).toEqual([
      [210, 'phase', 'established'],
      [1200, 'phase', 'address announced'],
      [1300, 'subflow-joined', 'joined'],
      [2500, 'subflow-reset', 'reset'],
      [3100, 'phase', 'address removed'],
    ]);
    const reset = clientConn!.markers.find((m) => m.kind === 'subflow-reset')!;
    expect(reset.subflow).toBe('10.1.2.1:40001 → 10.1.100.2:21');
    expect(reset.detail).toBe('10.1.2.1:40001 → 10.1.100.2:21: reset by the peer: middlebox interference (ECONNRESET)');
    expect(clientConn!.markers[1]!.detail).toContain('10.1.200.2 (id 2)');
    expect(serverConn!.markers.map((m) => [m.atMs, m.kind, m.label])).toEqual([
      [3600, 'subflow-joined', 'joined'],
      [4000, 'subflow-closed', 'closed'],
      [4500, 'phase', 'connection closed'],
    ]);
    expect(serverConn!.markers[1]!.detail).toContain('closed, with neither an error nor a reason from the peer');
  });

  test('a plain RST (ECONNRESET without a reason) is a reset; a timeout is a close, in words', () => {
    const ended = (error: number) => timelineFromWatch(input({
      records: [
        event(100, { type: 'created', token: CLIENT, ...ends('10.1.1.1:40000', '10.1.100.2:21') }, client),
        event(200, { type: 'sub_closed', token: CLIENT, ...ends('10.1.1.1:40000', '10.1.100.2:21'), error }, client),
      ],
      looks: [],
    })).groups[0]!.connections[0]!.markers[0]!;
    expect(ended(104)).toMatchObject({ kind: 'subflow-reset', label: 'reset', subflow: '10.1.1.1:40000 → 10.1.100.2:21' });
    expect(ended(110)).toMatchObject({ kind: 'subflow-closed', label: 'closed', detail: '10.1.1.1:40000 → 10.1.100.2:21: timed out: the path stopped answering (ETIMEDOUT)' });
  });

  test('counters: each summed over the whole watch, gauges left out; the evidence explains them', () => {
    expect(timeline.counters).toEqual([
      { label: 'this network namespace', moved: { MPCapableSYNTX: 1, MPCapableSYNACKRX: 1, MPJoinSynTx: 1, MPJoinSynAckRx: 1, MPRstRx: 3, MPCapableSYNRX: 1 } },
    ]);
    expect(timeline.evidence).toContain('MPRstRx +3: 3 MP_TCPRST received (the peer reset a subflow with a reason)');
  });

  test('headline: connections, joins, ends; warn when a subflow was reset', () => {
    expect(timeline.headline).toEqual({ text: '2 MPTCP connections seen, 2 subflows joined, 2 closed or reset', tone: 'warn' });
    expect(timeline.summary[1]).toContain('every 1 s');
    const calm = timelineFromWatch(input({ records: RECORDS.filter((r) => !(r.type === 'event' && r.event.type === 'sub_closed' && r.event.token === CLIENT)) }));
    expect(calm.headline).toEqual({ text: '2 MPTCP connections seen, 2 subflows joined, 1 closed or reset', tone: 'good' });
  });

  test('without events: no connection, the reason in the headline and the advice; counters still summed', () => {
    const records: WatchRecord[] = [
      { type: 'events-unavailable', time: t(0), reason: 'permission', message: 'not allowed to join the MPTCP event group' } as WatchRecord,
      counters(1000, { MPCapableSYNTX: 2 }),
    ];
    const none = timelineFromWatch(input({ records, looks: [], lookIntervalMs: undefined, summary: { ...SUMMARY, eventsAvailable: false } }));
    expect(none.groups[0]!.connections).toEqual([]);
    expect(none.headline.tone).toBe('neutral');
    expect(none.headline.text).toContain('not allowed to join the MPTCP event group');
    expect(none.advice[0]).toContain('CAP_NET_ADMIN');
    expect(none.counters[0]!.moved).toEqual({ MPCapableSYNTX: 2 });
  });

  test('the page: a chart per connection, subflows without looks listed as not sampled, the clock named', async () => {
    const html = await renderHtmlReport(timeline);
    expect(html).toContain('10.1.1.1:40000 -&gt; 10.1.100.2:21 (curl/4242)');
    expect(html).toContain('ms since the watch started');
    expect(html).toContain('<td class="num">not sampled</td>');
    expect(html).toMatch(/<g class="mark-line role-mark throughput_marks"/);
    expect(html).not.toMatch(/\b(src|href)="?https?:/i);
  });
});
