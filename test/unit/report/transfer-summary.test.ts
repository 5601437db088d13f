// get/put's default report: what moved, and one line on MPTCP from the session's verdicts.
import { describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../../src/session/record.js';
import { mptcpLine, renderTransferSummary } from '../../../src/report/transfer.js';

function record(label: string, status: ConnectionRecord['status'], cause: ConnectionRecord['cause'], subflows: number[], expected = 1): ConnectionRecord {
  return {
    label,
    role: label === 'control' ? 'control' : 'data',
    mode: 'epsv',
    purpose: label === 'control' ? 'control' : 'transfer',
    status,
    cause,
    evidence: [],
    advice: [],
    socket: 'mptcp',
    opener: 'client',
    expectedSubflows: expected,
    durationMs: 10,
    samples: subflows.map((n, i) => ({ phase: `s${i}`, atMs: i, state: status === 'fell-back' ? 'fallback' : 'mptcp', subflows: n, localAddresses: [] })),
  };
}

describe('mptcpLine', () => {
  it('held everywhere: each connection with the most subflows it had', () => {
    expect(mptcpLine([record('control', 'held', 'none', [1, 2]), record('data epsv', 'held', 'none', [2])], false)).toBe(
      'MPTCP held on every connection (control: 2 subflows, data epsv: 2 subflows)',
    );
  });

  it('fell back everywhere for one cause: said once', () => {
    expect(mptcpLine([record('control', 'fell-back', 'peer-or-path-no-mptcp', [1]), record('data epsv', 'fell-back', 'peer-or-path-no-mptcp', [1])], false)).toBe(
      'MPTCP fell back to TCP on every connection (peer-or-path-no-mptcp)',
    );
  });

  it('some did not hold: which, and why, then what held', () => {
    expect(mptcpLine([record('control', 'held', 'none', [2]), record('data epsv', 'degraded', 'join-failed', [1], 2)], false)).toBe(
      'MPTCP did not hold on every connection: data epsv kept MPTCP with 1 of 2 subflows (join-failed); control held (2 subflows)',
    );
    expect(mptcpLine([record('control', 'held', 'none', [1]), record('data eprt', 'fell-back', 'payload-rewritten', [1])], false)).toMatch(
      /^MPTCP did not hold on every connection: data eprt fell back to TCP \(payload-rewritten\); control held/,
    );
  });

  it('plain TCP as asked', () => {
    expect(mptcpLine([record('control', 'not-attempted', 'none', [1])], false)).toBe('plain TCP as asked (--tcp): MPTCP not attempted');
  });
});

describe('renderTransferSummary', () => {
  it('two lines, then the notes', () => {
    const text = renderTransferSummary(
      { direction: 'download', local: 'f', remote: 'ftp://h/f', bytes: 10 << 20, totalBytes: 10 << 20, offset: 0, durationMs: 500, connections: [record('control', 'held', 'none', [1])], notes: ['the transfer stalled 1 time'] },
      false,
    );
    expect(text).toBe('downloaded 10.0 MiB in 0.50 s, 20.0 MiB/s (167.8 Mbit/s)\nMPTCP held on every connection (control: 1 subflow)\nnote: the transfer stalled 1 time\n');
  });

  it('says where a resumed transfer started', () => {
    const text = renderTransferSummary(
      { direction: 'upload', local: 'f', remote: 'ftp://h/f', bytes: 1 << 20, totalBytes: 2 << 20, offset: 1 << 20, durationMs: 1000, connections: [], notes: [] },
      false,
    );
    // Wrapped at 80 columns.
    expect(text.split('\n').slice(0, 2)).toEqual(['uploaded 1.0 MiB (resumed at byte 1048576 of 2.0 MiB) in 1.00 s, 1.0 MiB/s (8.4', '  Mbit/s)']);
  });
});
