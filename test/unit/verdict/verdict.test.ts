// The verdict rules against the evidence each scenario of docs/mptcp-facts.md ("Middleboxes") produced on Linux 6.18.
import { describe, expect, test } from 'vitest';
import type { ConnectionEvidence, ConnectionSample, ProbeEvidence } from '../../../src/verdict/evidence.js';
import { judgeConnection, judgeProbe } from '../../../src/verdict/verdict.js';

function samples(...states: Array<[string, 'mptcp' | 'fallback' | 'tcp', number]>): ConnectionSample[] {
  return states.map(([phase, state, subflows], i) => ({ phase, atMs: i * 100, state, subflows, localAddresses: [] }));
}

function control(overrides: Partial<ConnectionEvidence> = {}): ConnectionEvidence {
  return {
    role: 'control',
    socket: 'mptcp',
    samples: samples(['connect', 'mptcp', 1], ['login', 'mptcp', 2], ['end', 'mptcp', 2]),
    expectedSubflows: 2,
    durationMs: 3000,
    ...overrides,
  };
}

function data(overrides: Partial<ConnectionEvidence> = {}): ConnectionEvidence {
  return {
    role: 'data',
    mode: 'epsv',
    socket: 'mptcp',
    samples: samples(['connect', 'mptcp', 1], ['transfer', 'mptcp', 2], ['end', 'mptcp', 2]),
    expectedSubflows: 2,
    durationMs: 500,
    ...overrides,
  };
}

function probe(overrides: Partial<ProbeEvidence> = {}): ProbeEvidence {
  return {
    connections: [control(), data()],
    clientCounters: {},
    anomalies: [],
    checksum: { client: true, server: true },
    server: { kind: 'other' },
    ...overrides,
  };
}

describe('verdicts', () => {
  test('two clean paths, EPSV: held, none', () => {
    const { overall, connections } = judgeProbe(probe());
    expect(overall).toMatchObject({ status: 'held', cause: 'none' });
    expect(connections.map((c) => c.status)).toEqual(['held', 'held']);
  });

  test('client net.mptcp.enabled=0: not-attempted, local-disabled', () => {
    const tcp = { socket: 'tcp' as const, socketReason: 'disabled' as const, samples: samples(['connect', 'tcp', 1]) };
    const { overall } = judgeProbe(probe({ connections: [control(tcp), data(tcp)] }));
    expect(overall).toMatchObject({ status: 'not-attempted', cause: 'local-disabled' });
    expect(overall.advice.join(' ')).toContain('net.mptcp.enabled=1');
  });

  test('kernel without MPTCP: local-unsupported', () => {
    const c = control({ socket: 'tcp', socketReason: 'unsupported', samples: samples(['connect', 'tcp', 1]) });
    expect(judgeConnection(c, probe())).toMatchObject({ status: 'not-attempted', cause: 'local-unsupported' });
  });

  const fellBackAtHandshake = samples(['connect', 'fallback', 1], ['end', 'fallback', 1]);

  test('server without MPTCP or option stripped, far end not serve: peer-or-path-no-mptcp', () => {
    const evidence = probe({
      connections: [control({ samples: fellBackAtHandshake }), data({ samples: fellBackAtHandshake })],
      clientCounters: { MPCapableFallbackSYNACK: 2 },
    });
    const { overall } = judgeProbe(evidence);
    expect(overall).toMatchObject({ status: 'fell-back', cause: 'peer-or-path-no-mptcp' });
    expect(overall.evidence.join('\n')).toContain('MPCapableFallbackSYNACK');
  });

  test('serve with a TCP-only listener: peer-no-mptcp', () => {
    const server = { socket: 'tcp' as const, state: 'tcp' as const, subflows: 1, mpCapableReceived: null, listener: 'tcp' as const };
    const evidence = probe({
      connections: [control({ samples: fellBackAtHandshake, server })],
      server: { kind: 'serve', listener: 'tcp' },
    });
    expect(judgeProbe(evidence).overall).toMatchObject({ status: 'fell-back', cause: 'peer-no-mptcp' });
  });

  test('option stripped on all packets, serve: its MPTCP listener accepted plain TCP -> option-stripped', () => {
    const server = { socket: 'tcp' as const, state: 'tcp' as const, subflows: 1, mpCapableReceived: false, mpCapableEvidence: 'counters' as const, listener: 'mptcp' as const };
    const evidence = probe({
      connections: [control({ samples: fellBackAtHandshake, server })],
      server: { kind: 'serve', listener: 'mptcp' },
      clientCounters: { MPCapableSYNTX: 1, MPCapableFallbackSYNACK: 1 },
    });
    expect(judgeProbe(evidence).overall).toMatchObject({ status: 'fell-back', cause: 'option-stripped' });
  });

  test('option stripped on the SYN-ACK only, serve: the server saw MP_CAPABLE -> option-stripped', () => {
    const server = { socket: 'mptcp' as const, state: 'fallback' as const, subflows: 1, mpCapableReceived: true, listener: 'mptcp' as const };
    const evidence = probe({
      connections: [control({ samples: fellBackAtHandshake, server })],
      server: { kind: 'serve', listener: 'mptcp' },
      serverCounters: { MPCapableSYNRX: 1, MPCapableFallbackACK: 1 },
    });
    const { overall } = judgeProbe(evidence);
    expect(overall).toMatchObject({ status: 'fell-back', cause: 'option-stripped' });
    expect(overall.evidence.join('\n')).toContain('saw MP_CAPABLE');
  });

  test('option stripped after the first MB: MPCapableDataFallback -> option-stripped', () => {
    const d = data({ samples: samples(['connect', 'mptcp', 1], ['transfer', 'fallback', 1], ['end', 'fallback', 1]) });
    const evidence = probe({ connections: [control(), d], clientCounters: { MPCapableDataFallback: 1 } });
    expect(judgeProbe(evidence).overall).toMatchObject({ status: 'fell-back', cause: 'option-stripped' });
  });

  test('a data connection falls back while the control connection held, far end silent: no middlebox is named', () => {
    // The mirror image of the seed client: a server using MPTCP on control and plain TCP for data.
    const d = data({ samples: fellBackAtHandshake });
    const { overall } = judgeProbe(probe({ connections: [control(), d], clientCounters: { MPCapableSYNTX: 2, MPCapableFallbackSYNACK: 1 } }));
    expect(overall).toMatchObject({ status: 'fell-back', cause: 'peer-or-path-no-mptcp' });
    expect(overall.evidence.join('\n')).toContain('may create this kind of socket without MPTCP');
  });

  test('serve says the data connection came to a plain TCP listener (MPTCP disabled after it started): peer-no-mptcp', () => {
    const server = { socket: 'tcp' as const, state: 'tcp' as const, subflows: 1, mpCapableReceived: null, listener: 'tcp' as const };
    const d = data({ samples: fellBackAtHandshake, server });
    const evidence = probe({ connections: [control(), d], server: { kind: 'serve', listener: 'mptcp' }, clientCounters: { MPCapableSYNTX: 2 } });
    expect(judgeProbe(evidence).overall).toMatchObject({ status: 'fell-back', cause: 'peer-no-mptcp' });
  });

  test('serve cannot tell (plain TCP listener, no witness): never option-stripped', () => {
    const server = { socket: 'tcp' as const, state: 'tcp' as const, subflows: 1, mpCapableReceived: null, mpCapableEvidence: 'none' as const, listener: 'mptcp' as const };
    const evidence = probe({ connections: [control({ samples: fellBackAtHandshake, server })], server: { kind: 'serve', listener: 'mptcp' }, clientCounters: { MPCapableSYNTX: 1 } });
    expect(judgeProbe(evidence).overall.cause).toBe('peer-or-path-no-mptcp');
  });

  test('active mode: the far end opened the data connection with plain TCP -> peer-no-mptcp, and no "accepted" claim', () => {
    const server = { socket: 'tcp' as const, state: 'tcp' as const, subflows: 1, mpCapableReceived: null };
    const d = data({ mode: 'eprt', opener: 'server', expectedSubflows: 1, samples: fellBackAtHandshake, server });
    const { overall } = judgeProbe(probe({ connections: [control({ expectedSubflows: 1, samples: samples(['connect', 'mptcp', 1]) }), d], server: { kind: 'serve', listener: 'mptcp' } }));
    expect(overall).toMatchObject({ status: 'fell-back', cause: 'peer-no-mptcp' });
    expect(overall.evidence.join('\n')).toContain('opened this data connection');
    expect(overall.evidence.join('\n')).not.toContain('accepted');
  });

  test('active mode: the far end opened it with MPTCP and sent MP_CAPABLE, ours arrived as TCP -> option-stripped', () => {
    const server = { socket: 'mptcp' as const, state: 'fallback' as const, subflows: 1, mpCapableReceived: null };
    const d = data({ mode: 'eprt', opener: 'server', expectedSubflows: 1, samples: fellBackAtHandshake, server });
    const evidence = probe({ connections: [d], server: { kind: 'serve', listener: 'mptcp' }, serverCounters: { MPCapableSYNTX: 1 } });
    expect(judgeProbe(evidence).overall).toMatchObject({ status: 'fell-back', cause: 'option-stripped' });
  });

  test('FTP ALG, active, checksum on, 1 subflow: control fell back mid-stream, DataCsumErr -> payload-rewritten', () => {
    const c = control({
      expectedSubflows: 1,
      samples: samples(['connect', 'mptcp', 1], ['login', 'mptcp', 1], ['after-PORT', 'fallback', 1], ['end', 'fallback', 1]),
      commands: [{ command: 'PORT', atMs: 150 }],
    });
    const evidence = probe({
      connections: [c, data({ mode: 'port', expectedSubflows: 1, samples: samples(['connect', 'mptcp', 1]) })],
      clientCounters: { DataCsumErr: 1, MPFailTx: 1, DSSCorruptionFallback: 1 },
    });
    const { overall, connections } = judgeProbe(evidence);
    expect(connections[0]).toMatchObject({ status: 'fell-back', cause: 'payload-rewritten' });
    expect(overall).toMatchObject({ status: 'fell-back', cause: 'payload-rewritten' });
    expect(overall.evidence.join('\n')).toMatch(/PORT/);
  });

  test('FTP ALG, active, checksum off, 1 subflow: DssFallback -> payload-rewritten', () => {
    const c = control({
      expectedSubflows: 1,
      samples: samples(['connect', 'mptcp', 1], ['after-EPRT', 'fallback', 1]),
    });
    const evidence = probe({ connections: [c], clientCounters: { DssFallback: 1 }, checksum: { client: false } });
    expect(judgeProbe(evidence).overall).toMatchObject({ status: 'fell-back', cause: 'payload-rewritten' });
  });

  test('FTP ALG, active, checksum on, 2 subflows: a subflow reset + 500 Illegal PORT -> degraded, payload-rewritten', () => {
    const c = control({ samples: samples(['connect', 'mptcp', 1], ['login', 'mptcp', 2], ['after-PORT', 'mptcp', 1]) });
    const evidence = probe({
      connections: [c],
      clientCounters: { MPFailRx: 1, MPRstRx: 1 },
      anomalies: [{ command: 'PORT', code: 500, text: 'Illegal PORT command.', atMs: 200 }],
    });
    expect(judgeProbe(evidence).overall).toMatchObject({ status: 'degraded', cause: 'payload-rewritten' });
  });

  test('FTP ALG, active, checksum off, 2 subflows: subflow lost + 500 Unknown command -> stream-damaged, advice names the checksum', () => {
    const c = control({ samples: samples(['connect', 'mptcp', 1], ['login', 'mptcp', 2], ['after-PORT', 'mptcp', 1], ['end', 'mptcp', 1]) });
    const evidence = probe({
      connections: [c],
      clientCounters: { MPRstRx: 1 },
      anomalies: [{ command: 'RETR', code: 500, text: 'Unknown command.', atMs: 300 }],
      checksum: { client: false },
    });
    const { overall } = judgeProbe(evidence);
    expect(overall.cause).toBe('stream-damaged');
    expect(overall.advice.join(' ')).toContain('checksum_enabled');
  });

  test('stream damage counted by serve (DSSCorruptionReset) outranks other verdicts', () => {
    const c = control({ samples: samples(['connect', 'mptcp', 1], ['login', 'mptcp', 2], ['end', 'mptcp', 1]) });
    const d = data({ samples: fellBackAtHandshake });
    const evidence = probe({ connections: [c, d], serverCounters: { DSSCorruptionReset: 1, DuplicateData: 3 }, checksum: { server: false } });
    expect(judgeProbe(evidence).overall.cause).toBe('stream-damaged');
  });

  test('a data subflow reset for DSS corruption (namespace-wide counter): the control connection that kept its subflows is not stream-damaged', () => {
    const d = data({ samples: samples(['connect', 'mptcp', 1], ['transfer', 'mptcp', 2], ['transfer', 'mptcp', 0]) });
    const evidence = probe({
      connections: [control(), d],
      clientCounters: { DSSCorruptionReset: 2, MPRstTx: 2 },
      checksum: { client: false, server: false },
      transfer: { completed: false, errorKind: 'timeout' },
    });
    const { connections } = judgeProbe(evidence);
    expect(connections[0]).toMatchObject({ status: 'held', cause: 'none' });
    expect(connections[1]).toMatchObject({ status: 'degraded', cause: 'option-stripped' });
  });

  test('FTP ALG, passive mode: nothing rewritten -> held', () => {
    expect(judgeProbe(probe()).overall.status).toBe('held');
  });

  test('blackhole on the second path: joins sent, none answered -> degraded, join-failed', () => {
    const one = samples(['connect', 'mptcp', 1], ['login', 'mptcp', 1], ['end', 'mptcp', 1]);
    const evidence = probe({ connections: [control({ samples: one }), data({ samples: one })], clientCounters: { MPJoinSynTx: 2 } });
    const { overall, connections } = judgeProbe(evidence);
    expect(overall).toMatchObject({ status: 'degraded', cause: 'join-failed' });
    expect(connections[1]).toMatchObject({ status: 'degraded', cause: 'join-failed' });
  });

  test('second client link down: the failed joins are named (MPJoinSynTxConnectErr), never "no MP_JOIN was attempted"', () => {
    const one = samples(['connect', 'mptcp', 1], ['login', 'mptcp', 1], ['end', 'mptcp', 1]);
    const evidence = probe({ connections: [control({ samples: one }), data({ samples: one })], clientCounters: { MPJoinSynTxConnectErr: 2 } });
    const { connections } = judgeProbe(evidence);
    for (const c of connections) {
      expect(c).toMatchObject({ status: 'degraded', cause: 'join-failed' });
      expect(c.evidence.join('\n')).toContain('MPJoinSynTxConnectErr +2');
      expect(c.evidence.join('\n')).not.toContain('no MP_JOIN was attempted');
    }
  });

  test('server refusing joins (limits subflows 0): answered joins never became subflows, control and data alike', () => {
    const one = samples(['connect', 'mptcp', 1], ['login', 'mptcp', 1], ['end', 'mptcp', 1]);
    const evidence = probe({
      connections: [control({ samples: one }), data({ samples: one, durationMs: 40 })],
      clientCounters: { MPJoinSynTx: 2, MPJoinSynAckRx: 2 },
    });
    const { connections } = judgeProbe(evidence);
    expect(connections.map((c) => `${c.status}/${c.cause}`)).toEqual(['degraded/join-failed', 'degraded/join-failed']);
  });

  test('the kernel closed a join of this very connection: join-failed in the kernel\'s words, even with no counter', () => {
    const one = samples(['connect', 'mptcp', 1], ['end', 'mptcp', 1]);
    const kernel = {
      eventsMayBeMissing: false,
      subflows: [
        { id: '10.1.1.1:40000 -> 10.1.100.2:21', initial: true, established: true, closed: false },
        { id: '10.1.2.1:40001 -> 10.1.100.2:21', initial: false, established: true, closed: true, end: 'closed, with neither an error nor a reason from the peer' },
      ],
    };
    const withEvents = judgeConnection(data({ samples: one, durationMs: 40, kernel }), probe());
    expect(withEvents).toMatchObject({ status: 'degraded', cause: 'join-failed' });
    expect(withEvents.evidence.join('\n')).toContain('kernel event: the join 10.1.2.1:40001');
    // Without the privilege to hear the kernel, the same connection is judged on counters alone.
    expect(judgeConnection(data({ samples: one, durationMs: 40 }), probe())).toMatchObject({ status: 'held', cause: 'none' });
  });

  test('a path lost mid-transfer: path-failed, in the kernel\'s words when its events were heard', () => {
    const dropped = samples(['connect', 'mptcp', 1], ['transfer', 'mptcp', 2], ['transfer', 'mptcp', 1], ['end', 'mptcp', 1]);
    const kernel = {
      eventsMayBeMissing: false,
      subflows: [
        { id: '10.1.1.1:40000 -> 10.1.100.2:21', initial: true, established: true, closed: false },
        { id: '10.1.2.1:40001 -> 10.1.100.2:21', initial: false, established: true, closed: true, end: 'error ETIMEDOUT (the path stopped answering)' },
      ],
    };
    const heard = judgeConnection(data({ samples: dropped, kernel }), probe({ transfer: { completed: true } }));
    expect(heard).toMatchObject({ status: 'degraded', cause: 'path-failed' });
    expect(heard.evidence).toContain('kernel event: the subflow 10.1.2.1:40001 -> 10.1.100.2:21 closed: error ETIMEDOUT (the path stopped answering)');
    expect(heard.evidence).toContain('the transfer completed over the remaining subflows');
    // Unprivileged: the same verdict from the samples, without a kernel sentence.
    const unheard = judgeConnection(data({ samples: dropped }), probe({ transfer: { completed: true } }));
    expect(unheard).toMatchObject({ status: 'degraded', cause: 'path-failed' });
    expect(unheard.evidence.join('\n')).not.toContain('kernel event');
  });

  test('subflows reset and the transfer stalled, the peer naming middlebox interference: option-stripped, with the peer\'s reason', () => {
    const dropped = samples(['connect', 'mptcp', 1], ['transfer', 'mptcp', 2], ['transfer', 'mptcp', 1]);
    const kernel = {
      eventsMayBeMissing: false,
      subflows: [
        { id: '10.1.1.1:40000 -> 10.1.100.2:21', initial: true, established: true, closed: false },
        { id: '10.1.2.1:40001 -> 10.1.100.2:21', initial: false, established: true, closed: true, resetReasonCode: 6, resetReason: 'middlebox interference' },
      ],
    };
    const verdict = judgeConnection(data({ samples: dropped, kernel }), probe({ clientCounters: { MPRstRx: 1 }, transfer: { completed: false, errorKind: 'timeout' } }));
    expect(verdict).toMatchObject({ status: 'degraded', cause: 'option-stripped' });
    expect(verdict.evidence).toContain('kernel event: the peer reset the subflow 10.1.2.1:40001 -> 10.1.100.2:21: middlebox interference');
  });

  test('fewer subflows than expected with no join attempt at all: held, said plainly, not join-failed', () => {
    const one = samples(['connect', 'mptcp', 1], ['login', 'mptcp', 1], ['end', 'mptcp', 1]);
    const verdict = judgeConnection(control({ samples: one }), probe());
    expect(verdict).toMatchObject({ status: 'held', cause: 'none' });
    expect(verdict.evidence.join('\n')).toContain('no MP_JOIN was attempted');
  });

  test('a data transfer that timed out with MPTCP intact: our own teardown resets are not evidence', () => {
    const d = data({ expectedSubflows: 1, samples: samples(['connect', 'mptcp', 1], ['transfer', 'mptcp', 1], ['transfer', 'mptcp', 1]) });
    const evidence = probe({
      connections: [control({ expectedSubflows: 1, samples: samples(['connect', 'mptcp', 1]) }), d],
      clientCounters: {},
      clientCountersAfterGiveUp: { MPRstTx: 2, MPRstRx: 2, MPFastcloseTx: 2, MPFastcloseRx: 2 },
      gaveUp: { atMs: 15_000, reason: 'data connection: TLS handshake timed out after 15 s' },
      transfer: { completed: false, errorKind: 'timeout' },
    });
    const { overall, connections } = judgeProbe(evidence);
    expect(overall).toMatchObject({ status: 'held', cause: 'none' });
    expect(connections[1]).toMatchObject({ status: 'held', cause: 'none' });
  });

  test('samples taken after the client gave up are not evidence', () => {
    const d = data({
      expectedSubflows: 2,
      samples: [
        { phase: 'connect', atMs: 0, state: 'mptcp', subflows: 1, localAddresses: [] },
        { phase: 'transfer', atMs: 100, state: 'mptcp', subflows: 2, localAddresses: [] },
        { phase: 'end', atMs: 900, state: 'mptcp', subflows: 0, localAddresses: [] },
      ],
    });
    const evidence = probe({ connections: [control(), d], gaveUp: { atMs: 500, reason: 'interrupted' }, transfer: { completed: false, errorKind: 'aborted' } });
    expect(judgeProbe(evidence).connections[1]).toMatchObject({ status: 'held', cause: 'none' });
  });

  test('a mid-stream fallback that no counter explains is unexplained, not payload-rewritten', () => {
    const c = control({
      expectedSubflows: 1,
      samples: samples(['connect', 'mptcp', 1], ['login', 'mptcp', 1], ['after-PORT', 'fallback', 1]),
      commands: [{ command: 'PORT', atMs: 150 }],
    });
    const { overall } = judgeProbe(probe({ connections: [c] }));
    expect(overall).toMatchObject({ status: 'fell-back', cause: 'unexplained' });
    expect(overall.evidence.join('\n')).toContain('PORT');
  });

  test('a short data connection that ended before any join was tried is not a failure', () => {
    const d = data({ samples: samples(['connect', 'mptcp', 1], ['end', 'mptcp', 1]), durationMs: 30 });
    expect(judgeConnection(d, probe())).toMatchObject({ status: 'held', cause: 'none' });
  });

  test('MP_CAPABLE SYN dropped: blackhole', () => {
    const evidence = probe({ connections: [control({ samples: fellBackAtHandshake })], clientCounters: { MPCapableSYNTXDrop: 1 } });
    expect(judgeProbe(evidence).overall).toMatchObject({ status: 'fell-back', cause: 'blackhole' });
  });

  test('second path taken down mid-transfer: subflow lost without data errors -> degraded, path-failed', () => {
    const d = data({ samples: samples(['connect', 'mptcp', 1], ['transfer', 'mptcp', 2], ['transfer', 'mptcp', 1], ['end', 'mptcp', 1]), durationMs: 4000 });
    const evidence = probe({ connections: [control(), d], clientCounters: { SubflowStale: 1, MPTCPRetrans: 5 } });
    const { overall } = judgeProbe(evidence);
    expect(overall).toMatchObject({ status: 'degraded', cause: 'path-failed' });
  });
});
