// Servers nobody here wrote, beyond vsftpd: Debian's pure-ftpd, with MPTCP (mptcpize) and without.
// get and probe must work with its replies in every data mode, and say what its sockets did.
import { describe, expect, test } from 'vitest';
import { pureFtpdBinary, startPureFtpd } from '../lab/index.js';
import { useLab } from '../lab/vitest.js';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { maxSubflows, probe, transferDataOf } from './probe-support.js';

const skip = missingRequirement('pure-ftpd interop', 'root', 'netns', `file:${pureFtpdBinary}`, 'tool:mptcpize');

describe.skipIf(skip)('pure-ftpd', () => {
  requireDist();
  const lab = useLab({ topology: 'routed', links: 2 });

  test('under mptcpize: probe in all four modes holds; passive data joins the second path', async () => {
    await lab().shape(1, { rateMbit: 100 });
    await lab().shape(2, { rateMbit: 100 });
    const ftp = await startPureFtpd(lab(), { mptcp: true, port: 2160, files: { 'f.bin': 8 << 20 } });
    try {
      const { exitCode, result } = await probe(lab(), ftp.url('f.bin'), ['--mode', 'all']);
      expect(result.runs.map((r) => [r.mode, r.verdict.status])).toEqual([['epsv', 'held'], ['pasv', 'held'], ['eprt', 'held'], ['port', 'held']]);
      expect(result.runs.flatMap((r) => r.transfers).every((t) => t.sha256 === ftp.files['f.bin']!.sha256)).toBe(true);
      expect(maxSubflows(transferDataOf(result, 0))).toBe(2);
      expect(exitCode).toBe(0);
      // The password given in the URL never shows.
      expect(JSON.stringify(result)).not.toContain(ftp.password);
    } finally {
      await ftp.stop();
      await lab().unshape(1);
      await lab().unshape(2);
    }
  });

  test('bare (plain TCP): get succeeds, every connection reported as fallback; probe says peer-or-path-no-mptcp', async () => {
    const ftp = await startPureFtpd(lab(), { mptcp: false, port: 2161, files: { 'f.bin': 3 << 20 } });
    try {
      const out = `${lab().tmpDir}/pure-get.bin`;
      const get = await lab().runNode('client', ['get', ftp.url('f.bin'), out, '--json', '--active']);
      expect(get.exitCode).toBe(0);
      const json = JSON.parse(get.stdout);
      expect(json.bytes).toBe(3 << 20);
      expect(json.connections.map((c: { report: { state: string } }) => c.report.state)).toEqual(['fallback', 'fallback']);
      const { result } = await probe(lab(), ftp.url('f.bin'), ['--mode', 'epsv']);
      expect(result.verdict).toMatchObject({ status: 'fell-back', cause: 'peer-or-path-no-mptcp' });
    } finally {
      await ftp.stop();
    }
  });
});
