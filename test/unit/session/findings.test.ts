// The one stall rule: a note when, and only when, the counters that are evidence show MPTCP-level
// retransmissions (each about one minimum RTO lost, docs/mptcp-facts.md "Receive-window stalls").
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { CounterGroups } from '../../../src/session/counter-watch.js';
import { stalled, stallFinding } from '../../../src/session/findings.js';

const groups = (mptcp: Record<string, number>, tcp: Record<string, number> = {}): CounterGroups => ({ mptcp, tcp });

describe('stallFinding', () => {
  test('MPTCP-level retransmissions: how many, the time lost, and the counters that moved with them', () => {
    const finding = stallFinding(groups({ MPTCPRetrans: 3, WinProbe: 2, DuplicateData: 0, MPCapableSYNTX: 4 }, { TCPToZeroWindowAdv: 1 }));
    expect(finding).toMatchObject({ retransmissions: 3, estimatedMs: 600 });
    expect(finding!.text).toBe(
      'the transfer stalled 3 times on MPTCP-level retransmissions (MPTcpExtMPTCPRetrans +3, WinProbe +2, TCPToZeroWindowAdv +1), ' +
        'about 600 ms lost: a receiver that stops draining its socket makes the sender wait for its retransmission timer ' +
        '(counters of this network namespace: other MPTCP connections on this host count too)',
    );
  });

  test('one retransmission is "1 time"', () => {
    expect(stallFinding(groups({ MPTCPRetrans: 1 }))!.text).toMatch(/^the transfer stalled 1 time on .*\(MPTcpExtMPTCPRetrans \+1\), about 200 ms lost/);
  });

  test('no retransmission, no note: window probes, duplicate data and a closing window alone cost no time', () => {
    expect(stallFinding(undefined)).toBeUndefined();
    expect(stallFinding(groups({}))).toBeUndefined();
    expect(stallFinding(groups({ MPTCPRetrans: 0, WinProbe: 5, DuplicateData: 3 }, { TCPToZeroWindowAdv: 40 }))).toBeUndefined();
  });

  test('for any counters: a note exactly when MPTCPRetrans rose, and stalled() agrees', () => {
    const counter = fc.option(fc.nat(1000), { nil: undefined });
    fc.assert(
      fc.property(counter, counter, counter, counter, (retrans, probes, duplicates, zeroWindow) => {
        const mptcp: Record<string, number> = {};
        if (retrans !== undefined) mptcp.MPTCPRetrans = retrans;
        if (probes !== undefined) mptcp.WinProbe = probes;
        if (duplicates !== undefined) mptcp.DuplicateData = duplicates;
        const counters = groups(mptcp, zeroWindow === undefined ? {} : { TCPToZeroWindowAdv: zeroWindow });
        const finding = stallFinding(counters);
        expect(finding !== undefined).toBe((retrans ?? 0) > 0);
        expect(stalled(counters)).toBe(finding !== undefined);
        if (finding) {
          expect(finding.estimatedMs).toBe(200 * retrans!);
          expect(finding.text).toContain(`MPTcpExtMPTCPRetrans +${retrans}`);
          expect(finding.text.includes('WinProbe')).toBe((probes ?? 0) > 0);
        }
      }),
    );
  });
});
