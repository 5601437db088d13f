// CounterWatch brackets a session's counters: the evidence runs from the first read to the cut (the
// normal end, or the moment the client gave up), and what moved afterwards (our own teardown) is
// kept apart. The reads are fed in order here; readCounterGroups is read from this host's procfs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { CounterWatch, readCounterGroups, type CounterGroups } from '../../../src/session/counter-watch.js';
import { stallFinding } from '../../../src/session/findings.js';

/** A watch whose n-th read returns snapshots[n] (the last one once they run out), at a settable clock. */
function watchOver(snapshots: CounterGroups[]) {
  let reads = 0;
  let now = 0;
  const watch = new CounterWatch(
    () => now,
    () => snapshots[Math.min(reads++, snapshots.length - 1)],
  );
  return { watch, reads: () => reads, at: (ms: number) => (now = ms) };
}

const groups = (mptcp: Record<string, number>, tcp: Record<string, number> = {}): CounterGroups => ({ mptcp, tcp });

describe('CounterWatch', () => {
  test('a normal end: the evidence is first read to end, later reads are after the cut; not a give-up', () => {
    const { watch } = watchOver([
      groups({ MPCapableSYNTX: 10, MPTCPRetrans: 4 }),
      groups({ MPCapableSYNTX: 12, MPTCPRetrans: 4 }), // refresh during the transfer
      groups({ MPCapableSYNTX: 12, MPTCPRetrans: 6 }), // end
      groups({ MPCapableSYNTX: 12, MPTCPRetrans: 6, MPFastcloseTx: 1 }), // after we closed
    ]);
    watch.refresh();
    watch.end();
    expect(watch.frozen).toBe(true);
    expect(watch.gaveUp).toBeUndefined();
    expect(watch.deltas()).toEqual({
      evidence: groups({ MPCapableSYNTX: 2, MPTCPRetrans: 2 }),
      afterCut: groups({ MPFastcloseTx: 1 }),
    });
  });

  test('giving up with a snapshot first: our teardown (fast-close, resets) is after the cut, never evidence', () => {
    const { watch, at } = watchOver([
      groups({ MPTCPRetrans: 0, MPRstTx: 0 }),
      groups({ MPTCPRetrans: 1, MPRstTx: 0 }), // read at the give-up, before we abort
      groups({ MPTCPRetrans: 1, MPRstTx: 2, MPFastcloseTx: 1 }),
    ]);
    at(1500);
    watch.giveUp('the time limit (2 s) ran out', true);
    at(1600);
    watch.refresh();
    watch.end();
    watch.giveUp('a second reason', true);
    expect(watch.gaveUp).toEqual({ atMs: 1500, reason: 'the time limit (2 s) ran out' });
    const { evidence, afterCut } = watch.deltas();
    expect(evidence.mptcp).toEqual({ MPTCPRetrans: 1 });
    expect(afterCut.mptcp).toEqual({ MPRstTx: 2, MPFastcloseTx: 1 });
    expect(stallFinding(evidence)?.retransmissions).toBe(1);
    expect(stallFinding(afterCut)).toBeUndefined();
  });

  test('giving up without a snapshot: the last periodic read stands (teardown may have begun)', () => {
    const { watch, reads } = watchOver([
      groups({ MPTCPRetrans: 0 }),
      groups({ MPTCPRetrans: 3 }), // the last periodic refresh
      groups({ MPTCPRetrans: 5, MPRstRx: 1 }), // a read at the give-up would see the teardown
    ]);
    watch.refresh();
    watch.giveUp('a connection closed before the end of the transfer', false);
    expect(reads()).toBe(2);
    const { evidence, afterCut } = watch.deltas();
    expect(evidence.mptcp).toEqual({ MPTCPRetrans: 3 });
    expect(afterCut.mptcp).toEqual({ MPTCPRetrans: 2, MPRstRx: 1 });
    // The stall rule only ever sees the evidence: 3 stalls, not 5.
    expect(stallFinding(evidence)?.retransmissions).toBe(3);
  });

  test('of TcpExt only the receive-window counters are kept', () => {
    const { watch } = watchOver([
      groups({}, { TCPToZeroWindowAdv: 1, TCPTimeouts: 7, TCPZeroWindowDrop: 0 }),
      groups({}, { TCPToZeroWindowAdv: 4, TCPTimeouts: 9, TCPZeroWindowDrop: 2 }),
    ]);
    watch.end();
    expect(watch.deltas().evidence.tcp).toEqual({ TCPToZeroWindowAdv: 3, TCPZeroWindowDrop: 2 });
  });

  test('unreadable counters: empty deltas, no error; a later failed read keeps the last good one', () => {
    const none = new CounterWatch(() => 0, () => undefined);
    none.end();
    expect(none.deltas()).toEqual({ evidence: groups({}), afterCut: groups({}) });

    const snapshots: Array<CounterGroups | undefined> = [groups({ MPTCPRetrans: 1 }), groups({ MPTCPRetrans: 2 }), undefined, undefined];
    let i = 0;
    const flaky = new CounterWatch(() => 0, () => snapshots[i++]);
    flaky.refresh();
    flaky.end();
    expect(flaky.deltas()).toEqual({ evidence: groups({ MPTCPRetrans: 1 }), afterCut: groups({}) });
  });
});

describe('readCounterGroups', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  test("this host's /proc/net/netstat: MPTcpExt and TcpExt by name", () => {
    const read = readCounterGroups();
    expect(read).toBeDefined();
    expect(read!.mptcp).toHaveProperty('MPCapableSYNTX');
    expect(read!.tcp).toHaveProperty('TCPToZeroWindowAdv');
  });

  test('a file without MPTcpExt gives empty MPTCP counters; a missing file gives undefined', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'counter-watch-'));
    const file = path.join(dir, 'netstat');
    writeFileSync(file, 'TcpExt: SyncookiesSent TCPToZeroWindowAdv\nTcpExt: 0 9\n');
    expect(readCounterGroups(file)).toEqual({ mptcp: {}, tcp: { SyncookiesSent: 0, TCPToZeroWindowAdv: 9 } });
    expect(readCounterGroups(path.join(dir, 'absent'))).toBeUndefined();
  });
});
