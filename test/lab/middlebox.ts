// Middlebox presets in the router namespace, each removable. What each one does to MPTCP on this
// kernel is recorded in docs/mptcp-facts.md ("Middleboxes"); the self-tests in middlebox.test.ts check the signatures.
import type { Lab } from './lab.js';
import { SERVER_LINK } from './topology.js';

export interface Middlebox {
  /** what it is, for test names and logs */
  description: string;
  /** Undo it (idempotent). */
  remove(): Promise<void>;
}

/**
 * Which packets lose their MPTCP option (kind 30):
 * - `all`: every forwarded TCP packet (client falls back at the handshake: MPCapableFallbackSYNACK);
 * - `synack`: only SYN-ACKs (server saw MP_CAPABLE, client did not);
 * - `non-syn`: everything but SYNs and SYN-ACKs (handshake succeeds, then MPCapableDataFallback);
 * - `{ afterBytes: n }`: packets of connections that have carried more than n bytes (both directions).
 */
export type StripMode = 'all' | 'synack' | 'non-syn' | { afterBytes: number };

export interface StripOptions {
  /** TCP option kinds to strip (default [30], MPTCP) */
  kinds?: number[];
}

let tableCounter = 0;

export class Middleboxes {
  private readonly active = new Set<Middlebox>();

  constructor(private readonly lab: Lab) {}

  /** `iptables -t mangle -A FORWARD -p tcp [match] -j TCPOPTSTRIP --strip-options 30`. */
  async stripOptions(mode: StripMode = 'all', options: StripOptions = {}): Promise<Middlebox> {
    let match: string[];
    if (mode === 'all') match = [];
    else if (mode === 'synack') match = ['--tcp-flags', 'SYN,ACK', 'SYN,ACK'];
    else if (mode === 'non-syn') match = ['--tcp-flags', 'SYN', 'NONE'];
    else {
      if (!Number.isInteger(mode.afterBytes) || mode.afterBytes < 0) throw new Error('lab: afterBytes must be a byte count');
      match = ['-m', 'connbytes', '--connbytes', `${mode.afterBytes}:`, '--connbytes-dir', 'both', '--connbytes-mode', 'bytes'];
    }
    const kinds = (options.kinds ?? [30]).join(',');
    const rule = ['FORWARD', '-p', 'tcp', ...match, '-j', 'TCPOPTSTRIP', '--strip-options', kinds];
    // Both families: a test over IPv6 must meet the same middlebox.
    await this.iptables('mangle', ['-A', ...rule]);
    if (this.lab.ipv6) await this.ip6tables('mangle', ['-A', ...rule]);
    const name = typeof mode === 'string' ? mode : `after ${mode.afterBytes} bytes`;
    return this.track(`strip TCP option ${kinds} (${name})`, async () => {
      await this.iptables('mangle', ['-D', ...rule]);
      if (this.lab.ipv6) await this.ip6tables('mangle', ['-D', ...rule]);
    });
  }

  /**
   * FTP ALG: the conntrack `ftp` helper on control connections to `port` plus masquerade toward the
   * server, so PORT/EPRT from the client are rewritten to the router's address (nf_nat_ftp).
   * Passive replies (227) are rewritten too when the server's address is translated; here it is not.
   */
  async ftpAlg(options: { port?: number } = {}): Promise<Middlebox> {
    const port = options.port ?? 21;
    const table = this.tableName('ftpalg');
    await this.nft(`
table inet ${table} {
  ct helper ftp-lab { type "ftp" protocol tcp; }
  chain pre {
    type filter hook prerouting priority filter; policy accept;
    tcp dport ${port} ct helper set "ftp-lab"
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${SERVER_LINK.routerIf}" masquerade
  }
}`);
    return this.track(`FTP ALG (ct helper ftp on port ${port} + masquerade)`, () => this.deleteTable(table));
  }

  /** Plain NAT: masquerade everything leaving toward the server, no helper. */
  async nat(): Promise<Middlebox> {
    const table = this.tableName('nat');
    await this.nft(`
table inet ${table} {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${SERVER_LINK.routerIf}" masquerade
  }
}`);
    return this.track('NAT (masquerade)', () => this.deleteTable(table));
  }

  /** Silently drops everything the router receives on or forwards to client link `index`. */
  async blackhole(index: number): Promise<Middlebox> {
    const link = this.lab.link(index);
    const table = this.tableName(`bh${index}`);
    await this.nft(`
table inet ${table} {
  chain forward_drop {
    type filter hook forward priority filter; policy accept;
    iifname "${link.peerIf}" drop
    oifname "${link.peerIf}" drop
  }
  chain inbound {
    type filter hook input priority filter; policy accept;
    iifname "${link.peerIf}" drop
  }
}`);
    return this.track(`blackhole on link ${index}`, () => this.deleteTable(table));
  }

  /** Removes every preset still in place. */
  async removeAll(): Promise<void> {
    for (const box of [...this.active]) await box.remove();
  }

  private track(description: string, undo: () => Promise<void>): Middlebox {
    let removed = false;
    const box: Middlebox = {
      description,
      remove: async () => {
        if (removed) return;
        removed = true;
        this.active.delete(box);
        await undo();
      },
    };
    this.active.add(box);
    return box;
  }

  private tableName(kind: string): string {
    tableCounter += 1;
    return `lab_${kind}_${tableCounter}`;
  }

  private async iptables(table: string, args: string[]): Promise<void> {
    await this.lab.exec('router', ['iptables', '-w', '5', '-t', table, ...args], { check: true, timeoutMs: 10_000 });
  }

  private async ip6tables(table: string, args: string[]): Promise<void> {
    await this.lab.exec('router', ['ip6tables', '-w', '5', '-t', table, ...args], { check: true, timeoutMs: 10_000 });
  }

  private async nft(ruleset: string): Promise<void> {
    await this.lab.exec('router', ['nft', '-f', '-'], { input: ruleset, check: true, timeoutMs: 10_000 });
  }

  private async deleteTable(table: string): Promise<void> {
    await this.lab.exec('router', ['nft', 'delete', 'table', 'inet', table], { check: true, timeoutMs: 10_000 });
  }
}
