// Each middlebox preset shows its own signature, and removing it restores the path.
import { describe, expect, it } from 'vitest';
import { missingRequirement } from '../support/gate.js';
import { send, sinkLines, startSink } from './helpers.js';
import type { Lab } from './lab.js';
import type { StripMode } from './middlebox.js';
import { startVsftpd } from './vsftpd.js';
import { useLab } from './vitest.js';

const skip = missingRequirement('lab middleboxes', 'root', 'netns', 'tool:iptables', 'tool:nft', 'tool:vsftpd', 'tool:mptcpize', 'tool:curl');

function mptcpTo(lab: Lab, port: number, extra: string[] = []) {
  return lab.countersAround(['client', 'server'], () =>
    send(lab, ['--host', lab.addresses.server.v4, '--port', String(port), '--bytes', '200000', ...extra]));
}

describe.skipIf(skip)('lab: middleboxes on one link', () => {
  const lab = useLab({ topology: 'routed', links: 1 });
  const port = 5201;

  it('option stripping on all packets: the client falls back at the handshake (MPCapableFallbackSYNACK)', async () => {
    await startSink(lab(), port);
    const box = await lab().middlebox.stripOptions('all');
    const { result, deltas } = await mptcpTo(lab(), port);
    expect(result.answer).toBe('ok 200000');
    expect(result.report?.state).toBe('fallback');
    expect(deltas.client?.MPCapableFallbackSYNACK).toBe(1);
    expect(deltas.server?.MPCapableSYNRX).toBeUndefined();
    await box.remove();
    const after = await mptcpTo(lab(), port);
    expect(after.result.report?.state).toBe('mptcp');
    expect(after.deltas.client?.MPCapableFallbackSYNACK).toBeUndefined();
  });

  const variants: Array<[StripMode, (d: Record<string, Record<string, number>>) => void]> = [
    ['synack', (d) => {
      expect(d.server?.MPCapableSYNRX).toBe(1);
      expect(d.client?.MPCapableFallbackSYNACK).toBe(1);
    }],
    ['non-syn', (d) => {
      expect(d.client?.MPCapableSYNACKRX).toBe(1);
      expect(d.client?.MPCapableDataFallback).toBe(1);
    }],
    [{ afterBytes: 20_000 }, (d) => {
      expect(d.client?.MPCapableSYNACKRX).toBe(1);
      // Seen on 6.18 with the client sending: the server falls back (DssFallback) while the client
      // keeps retransmitting at the MPTCP level (MPTCPRetrans) and the transfer stalls.
      const fallbacks = ['MPCapableDataFallback', 'DssFallback', 'MPRstRx', 'MPRstTx']
        .reduce((sum, name) => sum + (d.client?.[name] ?? 0) + (d.server?.[name] ?? 0), 0);
      expect(fallbacks).toBeGreaterThan(0);
    }],
  ];
  for (const [mode, check] of variants) {
    it(`option stripping (${JSON.stringify(mode)}) shows its signature and is removable`, async () => {
      const box = await lab().middlebox.stripOptions(mode);
      try {
        // Stripping mid-connection can stall the transfer (docs/mptcp-facts.md, "Middleboxes"): bound it.
        const { deltas } = await mptcpTo(lab(), port, ['--timeout', '3000', '--deadline', '2500']);
        check(deltas);
      } finally {
        await box.remove();
      }
      const rules = await lab().exec('router', ['iptables-save', '-t', 'mangle'], { check: true });
      expect(rules.stdout).not.toContain('TCPOPTSTRIP');
    });
  }

  it('FTP ALG + active mode through vsftpd: PORT is rewritten and the control connection falls back', async () => {
    const ftp = await startVsftpd(lab(), { mptcp: true, files: { 'f.bin': 300_000 } });
    const alg = await lab().middlebox.ftpAlg();
    const curl = (extra: string[]) => lab().countersAround(['client', 'server'], () =>
      lab().exec('client', ['mptcpize', 'run', 'curl', '-sS', '-o', '/dev/null', '-w', '%{size_download}', ...extra, ftp.url('f.bin')], { timeoutMs: 15_000 }));
    const active = await curl(['--ftp-port', '-']);
    expect(active.result.stdout).toBe('300000');
    // vsftpd accepts PORT/EPRT only for the control connection's peer: the router's address after masquerade.
    expect(await ftp.log()).toMatch(/"(EPRT \|1\|10\.1\.100\.1\||PORT 10,1,100,1,)/);
    expect(active.deltas.server?.DSSCorruptionFallback).toBeGreaterThanOrEqual(1);
    expect(active.deltas.client?.DssFallback).toBeGreaterThanOrEqual(1);
    // Passive mode through the same ALG keeps MPTCP.
    const passive = await curl([]);
    expect(passive.result.stdout).toBe('300000');
    expect(passive.deltas.server?.DSSCorruptionFallback).toBeUndefined();
    expect(passive.deltas.client?.DssFallback).toBeUndefined();
    await alg.remove();
    await ftp.stop();
  });

  it('plain NAT: the server sees the router\'s address and MPTCP holds', async () => {
    const sink = await startSink(lab(), port + 1);
    const nat = await lab().middlebox.nat();
    const { result } = await mptcpTo(lab(), port + 1);
    expect(result.report?.state).toBe('mptcp');
    await sink.waitForOutput('"bytes"', 5000);
    expect(sinkLines(sink)[0]?.remote).toBe(`::ffff:${lab().addresses.router!.server.v4}`);
    await nat.remove();
    const tables = await lab().exec('router', ['nft', 'list', 'tables'], { check: true });
    expect(tables.stdout).not.toContain('lab_');
  });
});

describe.skipIf(skip)('lab: blackhole on one of two links', () => {
  const lab = useLab({ topology: 'routed', links: 2 });

  it('drops that link only, until removed', async () => {
    await startSink(lab(), 5301, ['--tcp']);
    const via = (i: number) => send(lab(), ['--host', lab().addresses.server.v4, '--port', '5301', '--tcp', '--local', lab().link(i).client.v4, '--bytes', '1000', '--timeout', '1000']);
    const box = await lab().middlebox.blackhole(2);
    expect((await via(1)).answer).toBe('ok 1000');
    expect((await via(2)).error).toMatch(/timed out|ETIMEDOUT/i);
    await box.remove();
    expect((await via(2)).answer).toBe('ok 1000');
  });
});
