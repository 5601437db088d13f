// The client's MPTcpExt counters over one probe run, cut at the moment the client gave up.
//
// Tearing our own sockets down (after our timeout, on Ctrl-C, or at the normal end) makes the kernel
// send MP_FASTCLOSE and resets: counted as MPFastcloseTx and MPRstTx, and on loopback as the far end's
// MPRstRx too. Those say what we did, not what the path did, so the evidence is the snapshot taken
// just before: synchronously before we abort anything ourselves, or the last periodic one before an
// error surfaced (a connection we did not close normally is the sign that teardown may have begun).
import { counterDeltas, readMptcpCountersSync, type CounterSnapshot } from '../sys/counters.js';

export class CounterWatch {
  private readonly before: CounterSnapshot | undefined;
  private evidence: CounterSnapshot | undefined;
  private frozenAt: { atMs: number; reason: string } | undefined;

  constructor(
    private readonly now: () => number,
    private readonly read: () => CounterSnapshot | undefined = readMptcpCountersSync,
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
   * No later counter is evidence. `snapshotFirst`: read once more now, because nothing has been
   * torn down yet (we are about to abort ourselves). Without it the last snapshot stands.
   */
  freeze(reason: string, snapshotFirst: boolean): void {
    if (this.frozenAt) return;
    if (snapshotFirst) this.refresh();
    this.frozenAt = { atMs: this.now(), reason };
  }

  /** When and why the client gave up, if it did. */
  get gaveUp(): { atMs: number; reason: string } | undefined {
    return this.frozenAt;
  }

  /** Deltas that are evidence, and (shown, never judged) what moved after the cut. */
  deltas(): { evidence: CounterSnapshot; afterCut: CounterSnapshot } {
    const before = this.before ?? {};
    const evidence = this.evidence ?? before;
    const end = this.read() ?? evidence;
    return { evidence: counterDeltas(before, evidence), afterCut: counterDeltas(evidence, end) };
  }
}
