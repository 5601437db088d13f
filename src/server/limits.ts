// Admission of control connections: a global cap and a per-remote-address cap, so one host cannot
// take every slot. Counting happens at accept time, before a byte is read.

export class ConnectionLimits {
  private total = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly maxTotal: number, private readonly maxPerAddress: number) {}

  /** Takes a slot for `address`; returns why not when the limit is reached. */
  admit(address: string): { ok: true; release: () => void } | { ok: false; reason: string } {
    if (this.total >= this.maxTotal) return { ok: false, reason: `too many clients (${this.maxTotal})` };
    const current = this.perAddress.get(address) ?? 0;
    if (current >= this.maxPerAddress) return { ok: false, reason: `too many connections from your address (${this.maxPerAddress})` };
    this.total += 1;
    this.perAddress.set(address, current + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const left = (this.perAddress.get(address) ?? 1) - 1;
        if (left > 0) this.perAddress.set(address, left);
        else this.perAddress.delete(address);
      },
    };
  }

  get active(): number {
    return this.total;
  }
}

/** The address family-neutral form used for limits and bounce checks ("::ffff:1.2.3.4" is "1.2.3.4"). */
export function canonicalAddress(address: string | undefined): string {
  if (!address) return '';
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}
