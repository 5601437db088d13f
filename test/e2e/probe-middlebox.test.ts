// probe through middleboxes: the scenarios of docs/mptcp-facts.md ("Middleboxes"), each named after what it breaks.
// Each expects the verdict the evidence supports; the rules never see the scenario's name.
import { afterEach, describe, expect, onTestFinished, test } from 'vitest';
import { startVsftpd, type Lab } from '../lab/index.js';
import { useLab } from '../lab/vitest.js';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { controlOf, maxSubflows, probe, startServe, transferDataOf } from './probe-support.js';

const skip = missingRequirement('probe e2e (middleboxes)', 'root', 'netns', 'tool:vsftpd', 'tool:mptcpize', 'tool:iptables', 'tool:nft');

describe.skipIf(skip)('option stripping', () => {
  requireDist();
  const lab = useLab({ topology: 'routed', links: 2 });
  afterEach(async () => lab().middlebox.removeAll());

  test('stripped on all packets: vsftpd says peer-or-path-no-mptcp, serve says option-stripped', async () => {
    await lab().middlebox.stripOptions('all');
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2111, files: { 'f.bin': 1 << 20 } });
    onTestFinished(() => ftp.stop());
    const other = await probe(lab(), ftp.url('f.bin'), ['--mode', 'epsv']);
    expect(other.result.verdict).toMatchObject({ status: 'fell-back', cause: 'peer-or-path-no-mptcp' });
    expect(other.exitCode).toBe(1);
    const serve = await startServe(lab(), 2131);
    onTestFinished(() => serve.stop());
    const ours = await probe(lab(), serve.url, ['--mode', 'epsv']);
    expect(ours.result.verdict).toMatchObject({ status: 'fell-back', cause: 'option-stripped' });
    expect(controlOf(ours.result).server).toMatchObject({ socket: 'tcp', mpCapableReceived: false });
  });

  test('stripped on the SYN-ACK only, serve: the server saw MP_CAPABLE, fell-back, option-stripped', async () => {
    await lab().middlebox.stripOptions('synack');
    const serve = await startServe(lab(), 2132);
    onTestFinished(() => serve.stop());
    const { result } = await probe(lab(), serve.url, ['--mode', 'epsv']);
    expect(result.verdict).toMatchObject({ status: 'fell-back', cause: 'option-stripped' });
    expect(controlOf(result).server).toMatchObject({ mpCapableReceived: true });
    expect(controlOf(result).server?.state).not.toBe('mptcp');
  });

  test('stripped after the first MB: fell-back or degraded, option-stripped, and no hang', async () => {
    await lab().shape(1, { rateMbit: 200 });
    await lab().shape(2, { rateMbit: 200 });
    await lab().middlebox.stripOptions({ afterBytes: 1 << 20 });
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2112, files: { 'big.bin': 8 << 20 } });
    onTestFinished(() => ftp.stop());
    const started = Date.now();
    const { result } = await probe(lab(), ftp.url('big.bin'), ['--mode', 'epsv', '--timeout', '20']);
    expect(Date.now() - started).toBeLessThan(40_000);
    expect(['fell-back', 'degraded']).toContain(result.verdict.status);
    expect(result.verdict.cause).toBe('option-stripped');
  });
});

/** Active-mode FTP through an FTP ALG (conntrack ftp helper + masquerade) on the router. */
async function algActive(lab: Lab, port: number) {
  const box = await lab.middlebox.ftpAlg({ port });
  const ftp = await startVsftpd(lab, { mptcp: true, port, files: { 'f.bin': 1 << 20 } });
  try {
    return await probe(lab, ftp.url('f.bin'), ['--mode', 'active', '--timeout', '20']);
  } finally {
    await ftp.stop();
    await box.remove();
  }
}

const checksumOn = { 'net.mptcp.checksum_enabled': 1 };

describe.skipIf(skip)('FTP ALG, one subflow', () => {
  requireDist();
  const on = useLab({ topology: 'routed', links: 1, sysctls: { client: checksumOn, server: checksumOn } });
  const off = useLab({ topology: 'routed', links: 1 });

  test('checksum on: control falls back, payload-rewritten, transfer intact', async () => {
    const { result } = await algActive(on(), 2113);
    expect(controlOf(result)).toMatchObject({ status: 'fell-back', cause: 'payload-rewritten' });
    expect(result.verdict.cause).toBe('payload-rewritten');
    expect(result.transfer.bytes).toBe(1 << 20);
  });

  test('checksum off: control falls back, payload-rewritten', async () => {
    const { result } = await algActive(off(), 2114);
    expect(controlOf(result)).toMatchObject({ status: 'fell-back', cause: 'payload-rewritten' });
  });
});

describe.skipIf(skip)('FTP ALG, two subflows', () => {
  requireDist();
  const on = useLab({ topology: 'routed', links: 2, sysctls: { client: checksumOn, server: checksumOn } });
  const off = useLab({ topology: 'routed', links: 2 });

  test('checksum on: the rewritten subflow is reset, degraded, payload-rewritten', async () => {
    const { result } = await algActive(on(), 2115);
    expect(result.verdict).toMatchObject({ status: 'degraded', cause: 'payload-rewritten' });
  });

  test('checksum off: stream-damaged, and the advice names the checksum', async () => {
    const { result, exitCode } = await algActive(off(), 2116);
    expect(result.verdict.cause).toBe('stream-damaged');
    expect(result.verdict.advice.join(' ')).toContain('checksum_enabled');
    expect(exitCode).toBe(1);
  });

  test('passive mode through the same ALG: held', async () => {
    const box = await off().middlebox.ftpAlg({ port: 2117 });
    onTestFinished(() => box.remove());
    const ftp = await startVsftpd(off(), { mptcp: true, port: 2117, files: { 'f.bin': 1 << 20 } });
    onTestFinished(() => ftp.stop());
    const { result, exitCode } = await probe(off(), ftp.url('f.bin'), ['--mode', 'epsv']);
    expect(result.verdict.status).toBe('held');
    expect(exitCode).toBe(0);
  });
});

describe.skipIf(skip)('broken second path', () => {
  requireDist();
  const lab = useLab({ topology: 'routed', links: 2 });
  afterEach(async () => lab().middlebox.removeAll());

  test('blackhole on the second path: degraded, join-failed', async () => {
    await lab().middlebox.blackhole(2);
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2118, files: { 'f.bin': 1 << 20 } });
    onTestFinished(() => ftp.stop());
    const { result } = await probe(lab(), ftp.url('f.bin'), ['--mode', 'epsv']);
    expect(result.verdict).toMatchObject({ status: 'degraded', cause: 'join-failed' });
    expect(maxSubflows(controlOf(result))).toBe(1);
  });

  test('second path taken down mid-transfer: transfer intact, degraded, path-failed', async () => {
    await lab().shape(1, { rateMbit: 20 });
    await lab().shape(2, { rateMbit: 20 });
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2119, files: { 'big.bin': 12 << 20 } });
    onTestFinished(() => ftp.stop());
    const running = lab().spawnNode('client', ['probe', ftp.url('big.bin'), '--json', '--mode', 'epsv', '--max-time', '40']);
    onTestFinished(async () => {
      await running.stop();
    });
    // Wait for the data connection's second subflow (from link 2's address to a port other than
    // 21) to carry the transfer, however slowly this machine starts the probe; then cut link 2.
    const second = lab().link(2).client.v4;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ss = await lab().exec('client', ['ss', '-Htn', 'state', 'established', 'src', second]);
      if (ss.stdout.split('\n').some((line) => /:\d+\s*$/.test(line.trim()) && !/:21\s*$/.test(line.trim()))) break;
      if (Date.now() > deadline) throw new Error(`the data connection never joined link 2: ${ss.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    await lab().linkDown(2);
    const done = await running.wait(60_000);
    const result = JSON.parse(done.stdout);
    expect(result.transfer.bytes).toBe(12 << 20);
    expect(result.transfer.sha256).toBe(ftp.files['big.bin']!.sha256);
    expect(maxSubflows(transferDataOf(result))).toBe(2);
    expect(result.verdict).toMatchObject({ status: 'degraded', cause: 'path-failed' });
  });
});

describe.skipIf(skip)('a firewall dropping SYNs that carry MP_CAPABLE', () => {
  requireDist();
  const lab = useLab({ topology: 'routed', links: 1 });

  test('blackhole: the probe says so, and check warns that active MPTCP is now disabled', async () => {
    const rule = ['FORWARD', '-p', 'tcp', '--syn', '-m', 'tcp', '--tcp-option', '30', '-j', 'DROP'];
    await lab().exec('router', ['iptables', '-A', ...rule], { check: true });
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2140, files: { 'f.bin': 1 << 20 } });
    try {
      // The kernel retries the SYN without MP_CAPABLE after two losses (syn_retrans_before_tcp_fallback).
      const { result, exitCode } = await probe(lab(), ftp.url('f.bin'), ['--mode', 'epsv', '--timeout', '30']);
      expect(result.verdict).toMatchObject({ status: 'fell-back', cause: 'blackhole' });
      expect(result.counters.client.MPCapableSYNTXDrop).toBeGreaterThan(0);
      expect(result.transfer.bytes).toBe(1 << 20);
      expect(exitCode).toBe(1);
      const check = await lab().runNode('client', ['check', '--json', '--only', 'blackhole']);
      const blackhole = JSON.parse(check.stdout).checks[0];
      expect(blackhole.status).toBe('warn');
      expect(check.exitCode).toBe(0);
    } finally {
      await ftp.stop();
      await lab().exec('router', ['iptables', '-D', ...rule]);
    }
  });
});
