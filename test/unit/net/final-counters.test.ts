// An upload's report: the live sample's subflows, with the bytes each reached by the close.
import { describe, expect, it } from 'vitest';
import { withFinalCounters, type ConnectionReport } from '../../../src/net/report.js';

function report(subflows: Array<{ port: number; state: 'established' | 'close'; sent: number }>): ConnectionReport {
  return {
    socket: 'mptcp',
    state: 'mptcp',
    stateMethod: 'tcp_is_mptcp',
    subflows: { total: subflows.length, source: 'full_info' },
    subflowDetails: subflows.map((s) => ({
      local: { address: '10.1.1.1', port: s.port, family: 4 },
      remote: { address: '10.1.100.2', port: 2121, family: 4 },
      tcp: { length: 232, state: s.state, bytesSent: s.sent, bytesAcked: s.sent + 1 },
    })),
  };
}

describe('withFinalCounters', () => {
  it('raises each subflow to its count at the close, keeping the live states', () => {
    const live = report([{ port: 1, state: 'established', sent: 700_000 }, { port: 2, state: 'established', sent: 100_000 }]);
    const atClose = report([{ port: 2, state: 'close', sent: 2_000_000 }, { port: 1, state: 'close', sent: 3_000_000 }]);
    const merged = withFinalCounters(live, atClose);
    expect(merged.subflowDetails.map((s) => [s.local?.port, s.tcp?.state, s.tcp?.bytesSent, s.tcp?.bytesAcked])).toEqual([
      [1, 'established', 3_000_000, 3_000_001],
      [2, 'established', 2_000_000, 2_000_001],
    ]);
  });

  it('never lowers a counter, and leaves out subflows only the close saw', () => {
    const live = report([{ port: 1, state: 'established', sent: 500 }]);
    const merged = withFinalCounters(live, report([{ port: 1, state: 'close', sent: 400 }, { port: 9, state: 'close', sent: 5 }]));
    expect(merged.subflowDetails).toHaveLength(1);
    expect(merged.subflowDetails[0]!.tcp?.bytesSent).toBe(500);
  });
});
