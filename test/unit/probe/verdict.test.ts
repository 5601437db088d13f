// The verdict rules against the evidence each scenario of DESIGN.md section 4 produced on Linux 6.18.
import { describe, expect, test } from 'vitest';
import type { ConnectionEvidence, ConnectionSample, ProbeEvidence } from '../../../src/probe/evidence.js';
import { judgeConnection, judgeProbe } from '../../../src/probe/verdict.js';

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
    const server = { socket: 'tcp' as const, state: 'tcp' as const, subflows: 1 };
    const evidence = probe({
      connections: [control({ samples: fellBackAtHandshake, server })],
      server: { kind: 'serve', listener: 'tcp' },
    });
    expect(judgeProbe(evidence).overall).toMatchObject({ status: 'fell-back', cause: 'peer-no-mptcp' });
  });

  test('option stripped on all packets, serve: its MPTCP listener accepted plain TCP -> option-stripped', () => {
    const server = { socket: 'tcp' as const, state: 'tcp' as const, subflows: 1 };
    const evidence = probe({
      connections: [control({ samples: fellBackAtHandshake, server })],
      server: { kind: 'serve', listener: 'mptcp' },
      clientCounters: { MPCapableFallbackSYNACK: 1 },
    });
    expect(judgeProbe(evidence).overall).toMatchObject({ status: 'fell-back', cause: 'option-stripped' });
  });

  test('option stripped on the SYN-ACK only, serve: the server saw MP_CAPABLE -> option-stripped', () => {
    const server = { socket: 'mptcp' as const, state: 'fallback' as const, subflows: 1 };
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

  test('a data connection falls back while the control connection held: the server is capable -> option-stripped', () => {
    const d = data({ samples: fellBackAtHandshake });
    expect(judgeProbe(probe({ connections: [control(), d] })).overall).toMatchObject({ status: 'fell-back', cause: 'option-stripped' });
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
