// The probe adapter: series per subflow with its addresses, and the markers a person needs to read
// the picture (joins, the stop of a subflow, the fallback, the FTP steps).
import { describe, expect, test } from 'vitest';
import type { ProbeResult } from '../../../src/probe/probe.js';
import { timelineFromProbe } from '../../../src/report/timeline/from-probe.js';
import type { TimelineConnection } from '../../../src/report/timeline/session-timeline.js';
import { algResult, finalReport, LINK_DOWN_KEYS, linkDownResult, sample } from './probe-fixture.js';

function only<T>(items: T[], predicate: (item: T) => boolean): T {
  const found = items.filter(predicate);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function markers(c: TimelineConnection, kind: string) {
  return c.markers.filter((m) => m.kind === kind);
}

describe('second path taken down mid-transfer', () => {
  const timeline = timelineFromProbe(linkDownResult());
  const [control, data] = timeline.groups[0]!.connections;

  test('headline, advice, evidence and the counters that moved (gauges left out)', () => {
    expect(timeline).toMatchObject({ version: 1, command: 'probe', target: 'ftp://10.1.100.2:2119/big.bin' });
    expect(timeline.headline).toEqual({ text: 'MPTCP held but degraded: path-failed', tone: 'warn' });
    expect(timeline.advice).toEqual(['check that link']);
    expect(timeline.evidence[0]).toContain('stopped carrying data');
    expect(timeline.counters).toEqual([{ label: 'client', moved: { MPJoinSynTx: 2, MPJoinSynAckRx: 2, DuplicateData: 218 } }]);
    expect(timeline.groups.map((g) => g.label)).toEqual(['epsv mode']);
  });

  test('one series per subflow, labelled local -> remote, in time order', () => {
    expect(data!.subflows.map((s) => s.key)).toEqual([LINK_DOWN_KEYS.first, LINK_DOWN_KEYS.second]);
    expect(data!.subflows.map((s) => s.label)).toEqual([`${LINK_DOWN_KEYS.first} → 10.1.100.2:30033`, `${LINK_DOWN_KEYS.second} → 10.1.100.2:30033`]);
    const [first, second] = data!.subflows;
    // The first subflow was there from the first look; the second from transfer-start on.
    expect(first!.points[0]).toEqual({ atMs: 380, bytes: 1 });
    expect(second!.points[0]).toEqual({ atMs: 386, bytes: 33041 });
    expect(first!.points).toHaveLength(data!.subflows[0]!.points.length);
    for (const s of data!.subflows) expect(s.points.map((p) => p.atMs)).toEqual([...s.points.map((p) => p.atMs)].sort((a, b) => a - b));
    expect(data).toMatchObject({ startMs: 380, endMs: 6239, status: { text: 'degraded: path-failed', tone: 'warn' } });
  });

  test('the second subflow joined, then stopped carrying data at its last growth; the first did neither', () => {
    expect(only(markers(data!, 'subflow-joined'), () => true)).toMatchObject({ atMs: 386, subflow: LINK_DOWN_KEYS.second });
    const stalled = only(markers(data!, 'subflow-stalled'), () => true);
    expect(stalled).toMatchObject({ atMs: 874, subflow: LINK_DOWN_KEYS.second, label: 'stopped carrying data' });
    expect(stalled.detail).toContain('last grew at 874 ms');
    expect(markers(data!, 'fell-back')).toEqual([]);
    // No look lost the subflow: the kernel still listed it, so nothing says it closed.
    expect(markers(data!, 'subflow-closed')).toEqual([]);
  });

  test('FTP steps: connect, login, EPSV and the 226 on the control connection; transfer start and end on the data connection', () => {
    expect(markers(control!, 'phase').map((m) => [m.atMs, m.label])).toEqual([
      [29, 'connected'],
      [369, 'logged in'],
      [376, 'EPSV'],
      [6239, '226 transfer complete'],
    ]);
    expect(markers(data!, 'phase').map((m) => [m.atMs, m.label])).toEqual([
      [380, 'connected'],
      [386, 'transfer start'],
      [6239, '226 transfer complete'],
    ]);
    expect(control!.states).toEqual([{ state: 'mptcp', fromMs: 29, toMs: 6244 }]);
  });

  test('markers are in time order', () => {
    for (const c of [control!, data!]) expect(c.markers.map((m) => m.atMs)).toEqual([...c.markers.map((m) => m.atMs)].sort((a, b) => a - b));
  });

  test('the same timeline from the JSON the probe printed', () => {
    const saved = JSON.parse(JSON.stringify(linkDownResult())) as ProbeResult;
    expect(timelineFromProbe(saved)).toEqual(timeline);
  });
});

describe('FTP ALG, checksums on', () => {
  const timeline = timelineFromProbe(algResult());
  const [control, data] = timeline.groups[0]!.connections;

  test('the control connection carries a fallback marker where MPTCP was lost, and a shaded span from there', () => {
    const fellBack = only(markers(control!, 'fell-back'), () => true);
    expect(fellBack).toMatchObject({ atMs: 325, label: 'fell back to TCP' });
    expect(fellBack.detail).toBe('MPTCP at login (317 ms), plain TCP at after-EPRT (325 ms)');
    expect(control!.states).toEqual([
      { state: 'mptcp', fromMs: 41, toMs: 325 },
      { state: 'fallback', fromMs: 325, toMs: 371 },
    ]);
    expect(markers(control!, 'phase').map((m) => m.label)).toEqual(['connected', 'logged in', 'EPRT', '226 transfer complete']);
    expect(markers(data!, 'fell-back')).toEqual([]);
    expect(timeline.headline).toEqual({ text: 'MPTCP fell back to TCP: payload-rewritten', tone: 'bad' });
  });

  test('the counters after the client gave up are shown apart only when it gave up', () => {
    expect(timeline.counters.map((c) => c.label)).toEqual(['client']);
    const gaveUp = algResult();
    gaveUp.runs[0]!.gaveUp = { atMs: 360, reason: 'interrupted' };
    gaveUp.runs[0]!.counters.clientAfterGiveUp = { MPRstTx: 1 };
    const t = timelineFromProbe(gaveUp);
    expect(t.counters[1]).toEqual({ label: 'client, active mode, after the client gave up (interrupted): not judged', moved: { MPRstTx: 1 } });
    expect(markers(t.groups[0]!.connections[0]!, 'gave-up')).toEqual([{ atMs: 360, kind: 'gave-up', label: 'client gave up', detail: 'interrupted' }]);
  });
});

describe('other shapes', () => {
  test('a subflow gone from a later look is marked closed, with the run\'s reset counters', () => {
    const result = linkDownResult();
    result.runs[0]!.counters.client.MPRstRx = 1;
    const data = result.connections[1]!;
    data.samples = [
      sample('connect', 0, { a: 1 }),
      sample('transfer', 250, { a: 100, b: 50 }),
      sample('transfer', 500, { a: 200, b: 90 }),
      sample('transfer', 750, { a: 300 }),
      sample('end', 1000, { a: 400 }),
    ];
    data.report = finalReport([]);
    const c = timelineFromProbe(result).groups[0]!.connections[1]!;
    const closed = only(markers(c, 'subflow-closed'), () => true);
    expect(closed).toMatchObject({ atMs: 750, subflow: 'b', label: 'closed' });
    expect(closed.detail).toContain('MPRstRx +1');
    expect(c.subflows.find((s) => s.key === 'b')!.points.map((p) => p.atMs)).toEqual([250, 500]);
  });

  test('the kernel\'s word on a subflow that went away: reset with its reason; a close with the connection says nothing', () => {
    const result = linkDownResult();
    const data = result.connections[1]!;
    data.samples = [
      sample('connect', 0, { 'a:1': 1 }),
      sample('transfer', 250, { 'a:1': 100, 'b:2': 50 }),
      sample('transfer', 500, { 'a:1': 200 }),
      sample('end', 750, { 'a:1': 300 }),
    ];
    const reset = 'reset by the peer: middlebox interference (ECONNRESET)';
    data.kernel = {
      eventsMayBeMissing: false,
      subflows: [
        { id: 'a:1 -> s:21', initial: true, established: true, closed: true, end: 'closed with the connection' },
        { id: 'b:2 -> s:21', initial: false, established: true, closed: true, end: reset, error: 'ECONNRESET', resetReason: 'middlebox interference', resetReasonCode: 6 },
      ],
    };
    const c = timelineFromProbe(result).groups[0]!.connections[1]!;
    const gone = only(c.markers.filter((m) => m.subflow === 'b:2' && m.kind !== 'subflow-joined'), () => true);
    expect(gone).toMatchObject({ kind: 'subflow-reset', label: 'reset', atMs: 500 });
    expect(gone.detail).toContain(`the kernel: ${reset}`);
    expect(c.markers.filter((m) => m.subflow === 'a:1')).toEqual([]);
  });

  test('a handshake fallback is marked at the first look; plain TCP asked for is not a fallback', () => {
    const result = algResult();
    const control = result.connections[0]!;
    control.samples = control.samples.map((s) => ({ ...s, state: 'fallback' as const }));
    expect(markers(timelineFromProbe(result).groups[0]!.connections[0]!, 'fell-back')).toMatchObject([{ atMs: 41, label: 'no MPTCP after the handshake' }]);
    control.socket = 'tcp';
    control.samples = control.samples.map((s) => ({ ...s, state: 'tcp' as const }));
    expect(markers(timelineFromProbe(result).groups[0]!.connections[0]!, 'fell-back')).toEqual([]);
  });

  test('a run that could not run leads with its error, and the transfer did not end with 226', () => {
    const result = linkDownResult();
    result.outcome = 'could-not-run';
    result.error = { code: 'timeout', message: 'the probe could not run (epsv mode, transfer): time limit', exitCode: 4 };
    result.runs[0]!.error = { message: 'time limit', kind: 'timeout', stage: 'transfer' };
    const t = timelineFromProbe(result);
    expect(t.headline).toEqual({ text: result.error.message, tone: 'bad' });
    expect(t.summary[0]).toBe('what was observed before: MPTCP held but degraded: path-failed');
    expect(t.groups[0]!.connections[1]!.markers.map((m) => m.label)).toContain('transfer ended');
    expect(t.groups[0]!.connections[0]!.markers.map((m) => m.label)).not.toContain('226 transfer complete');
  });
});
