// The client's counters over one FTP session, cut at the moment the client gave up.
//
// Tearing our own sockets down (after our timeout, on Ctrl-C, or at the normal end) makes the kernel
// send MP_FASTCLOSE and resets: counted as MPFastcloseTx and MPRstTx, and on loopback as the far
// end's MPRstRx too. Those say what we did, not what the path did (docs/mptcp-facts.md, "Counters"),
// so the evidence is the snapshot taken just before: synchronously before we abort anything
// ourselves, or the last periodic one before an error surfaced (a connection we did not close
// normally is the sign that teardown may have begun).
import { readFileSync } from 'node:fs';
import { counterDeltas, parseNetstatGroups, type CounterSnapshot } from '../sys/counters.js';

/** The two groups a session reads: MPTcpExt, and TcpExt for the receive-window counters. */
export interface CounterGroups {
  mptcp: CounterSnapshot;
  tcp: CounterSnapshot;
}

export function readCounterGroups(path = '/proc/net/netstat'): CounterGroups | undefined {
  try {
    const groups = parseNetstatGroups(readFileSync(path, 'utf8'));
    return { mptcp: groups.MPTcpExt ?? {}, tcp: groups.TcpExt ?? {} };
  } catch {
    return undefined;
  }
}

/** TcpExt counters that tell a receiver that stopped draining its socket. */
const WINDOW_COUNTERS = ['TCPToZeroWindowAdv', 'TCPFromZeroWindowAdv', 'TCPWantZeroWindowAdv', 'TCPZeroWindowDrop'];

function deltas(before: CounterGroups, after: CounterGroups): CounterGroups {
  const tcp = counterDeltas(before.tcp, after.tcp);
  return {
    mptcp: counterDeltas(before.mptcp, after.mptcp),
    tcp: Object.fromEntries(Object.entries(tcp).filter(([name]) => WINDOW_COUNTERS.includes(name))),
  };
}

export class CounterWatch {
  private readonly before: CounterGroups | undefined;
  private evidence: CounterGroups | undefined;
  private frozenAt: { atMs: number; reason: string } | undefined;
  private givenUp = false;

  constructor(
    private readonly now: () => number,
    private readonly read: () => CounterGroups | undefined = () => readCounterGroups(),
  ) {
    this.before = read();
    this.evidence = this.before;
  }

  get frozen(): boolean {
    return this.frozenAt !== undefined;
  }

  /** A fresh snapshot, while nothing of ours has been torn down. */
  refresh(): void {
    if (this.frozenAt) return;
    this.evidence = this.read() ?? this.evidence;
  }

  /**
   * The client gives up: no later counter is evidence. `snapshotFirst`: read once more now, because
   * nothing has been torn down yet (we are about to abort ourselves). Without it the last one stands.
   */
  giveUp(reason: string, snapshotFirst: boolean): void {
    if (this.frozenAt) return;
    if (snapshotFirst) this.refresh();
    this.frozenAt = { atMs: this.now(), reason };
    this.givenUp = true;
  }

  /** The normal end, just before we close our own sockets. */
  end(): void {
    if (this.frozenAt) return;
    this.refresh();
    this.frozenAt = { atMs: this.now(), reason: 'end' };
  }

  /** When and why the client gave up, if it did (not set by a normal end). */
  get gaveUp(): { atMs: number; reason: string } | undefined {
    return this.givenUp ? this.frozenAt : undefined;
  }

  /** Deltas that are evidence, and (shown, never judged) what moved after the cut. */
  deltas(): { evidence: CounterGroups; afterCut: CounterGroups } {
    const empty = { mptcp: {}, tcp: {} };
    const before = this.before ?? empty;
    const evidence = this.evidence ?? before;
    const end = this.read() ?? evidence;
    return { evidence: deltas(before, evidence), afterCut: deltas(evidence, end) };
  }
}
