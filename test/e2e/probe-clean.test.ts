// probe on clean paths, and where this host or the far end has no MPTCP.
import { describe, expect, onTestFinished, test } from 'vitest';
import { startVsftpd } from '../lab/index.js';
import { useLab } from '../lab/vitest.js';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { controlOf, maxSubflows, probe, startServe, transferDataOf } from './probe-support.js';

const skip = missingRequirement('probe e2e (clean paths)', 'root', 'netns', 'tool:vsftpd', 'tool:mptcpize');

describe.skipIf(skip)('probe, two clean client paths', () => {
  requireDist();
  const lab = useLab({ topology: 'routed', links: 2 });

  test('EPSV against vsftpd under mptcpize: held, control and data with 2 subflows', async () => {
    // Shaped so the 8 MiB transfer lasts long enough for the second subflow to join.
    await lab().shape(1, { rateMbit: 100 });
    await lab().shape(2, { rateMbit: 100 });
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2101, files: { 'probe.bin': 8 << 20 } });
    onTestFinished(() => ftp.stop());
    const { exitCode, result } = await probe(lab(), ftp.url('probe.bin'), ['--mode', 'epsv']);
    expect(result.verdict).toMatchObject({ status: 'held', cause: 'none' });
    expect(exitCode).toBe(0);
    expect(result.target.server).toBe('other');
    expect(maxSubflows(controlOf(result))).toBe(2);
    expect(maxSubflows(transferDataOf(result))).toBe(2);
    expect(result.transfer.bytes).toBe(8 << 20);
    expect(result.transfer.sha256).toBe(ftp.files['probe.bin']!.sha256);
  });

  test('explicit FTPS (ftpes://) against vsftpd with its certificate: held, the ALG-proof way', async () => {
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2104, tls: { require: true }, files: { 'f.bin': 1 << 20 } });
    onTestFinished(() => ftp.stop());
    const url = ftp.url('f.bin').replace(/^ftp:/, 'ftpes:');
    const refused = await probe(lab(), url, ['--mode', 'epsv']).catch((error: Error) => error);
    // No --ca: the self-signed certificate is not trusted, the probe cannot run (exit 4, a JSON error).
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/^probe could not run \(exit 4, .*TLS: self-signed certificate/);
    const { exitCode, result } = await probe(lab(), url, ['--mode', 'epsv', '--ca', ftp.certificate!]);
    expect(result.verdict.status).toBe('held');
    expect(result.transfer.sha256).toBe(ftp.files['f.bin']!.sha256);
    expect(exitCode).toBe(0);
  });

  test('against serve: passive and active runs held, SHA-256 checked, the server saw MPTCP', async () => {
    const serve = await startServe(lab(), 2121);
    onTestFinished(() => serve.stop());
    const { exitCode, result } = await probe(lab(), serve.url, ['--size', '4M']);
    expect(result.target.server).toBe('serve');
    expect(result.runs.map((r) => r.mode)).toEqual(['passive', 'active']);
    expect(result.verdict.status).toBe('held');
    expect(result.transfer.matched).toBe(true);
    expect(controlOf(result).server).toMatchObject({ socket: 'mptcp', state: 'mptcp', mpCapableReceived: true });
    expect(exitCode).toBe(0);
  });
});

describe.skipIf(skip)('probe, no MPTCP at one end', () => {
  requireDist();
  const lab = useLab({ topology: 'direct', sysctls: { client: { 'net.mptcp.enabled': 0 } } });

  test('client net.mptcp.enabled=0: not-attempted, local-disabled, exit 1', async () => {
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2102, files: { 'f.bin': 1 << 20 } });
    onTestFinished(() => ftp.stop());
    const { exitCode, result } = await probe(lab(), ftp.url('f.bin'), ['--mode', 'epsv']);
    expect(result.verdict).toMatchObject({ status: 'not-attempted', cause: 'local-disabled' });
    expect(result.connections.every((c) => c.socket === 'tcp' && c.socketReason === 'disabled')).toBe(true);
    expect(result.transfer.bytes).toBe(1 << 20);
    expect(exitCode).toBe(1);
  });
});

describe.skipIf(skip)('probe, far end without MPTCP', () => {
  requireDist();
  const lab = useLab({ topology: 'direct' });

  test('bare vsftpd: fell-back, peer-or-path-no-mptcp', async () => {
    const ftp = await startVsftpd(lab(), { mptcp: false, port: 2103, files: { 'f.bin': 1 << 20 } });
    onTestFinished(() => ftp.stop());
    const { exitCode, result } = await probe(lab(), ftp.url('f.bin'));
    expect(result.verdict).toMatchObject({ status: 'fell-back', cause: 'peer-or-path-no-mptcp' });
    expect(result.counters.client.MPCapableFallbackSYNACK).toBeGreaterThan(0);
    expect(exitCode).toBe(1);
  });

  test('serve listening with plain TCP: fell-back, peer-no-mptcp', async () => {
    const serve = await startServe(lab(), 2122, ['--tcp']);
    onTestFinished(() => serve.stop());
    const { result } = await probe(lab(), serve.url, ['--mode', 'epsv']);
    expect(result.target.server).toBe('serve');
    expect(result.verdict).toMatchObject({ status: 'fell-back', cause: 'peer-no-mptcp' });
  });
});
