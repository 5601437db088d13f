// FTPS across servers nobody here wrote and our own: get, put and probe over ftpes:// (AUTH TLS)
// and ftps:// (implicit) in all four data modes (EPSV, PASV, EPRT, PORT) against serve, vsftpd and
// pure-ftpd, all under MPTCP in one lab. Transfers must be byte-exact and, where nothing interferes,
// the probe must say MPTCP held. Also: an empty file, many times in every mode, against serve (its own
// process, as users run it) and vsftpd, plain and FTPS.
//
// Implicit FTPS (ftps://) runs against serve (--tls-implicit) and vsftpd: Debian builds pure-ftpd
// without implicit TLS.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GetJson } from '../../src/cli/commands/get.js';
import type { PutJson } from '../../src/cli/commands/put.js';
import { computeDigest } from '../../src/server/index.js';
import { pureFtpdBinary, startVsftpd, type Vsftpd } from '../lab/index.js';
import { useLab } from '../lab/vitest.js';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { selfSignedCertificate, type TestCertificate } from '../unit/ftp/certificate.js';
import { probe, startServe } from './probe-support.js';
import { startPureFtpdTls, type PureFtpdTls } from './support/pure-ftpd-tls.js';

const skip = missingRequirement('FTPS matrix', 'root', 'netns', 'tool:vsftpd', 'tool:mptcpize', 'tool:openssl', `file:${pureFtpdBinary}`);

const MODES = ['epsv', 'pasv', 'eprt', 'port'] as const;
const SIZE = 1 << 20;
const REPEATS = 30;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** One server and scheme of the matrix. */
interface Target {
  name: string;
  /** URL of the file to get (with credentials where the server needs them). */
  getUrl(): string;
  /** URL to put NAME to. */
  putUrl(name: string): string;
  /** --ca for the certificate the server presents. */
  ca(): string;
  /** SHA-256 of the file get downloads. */
  expected(): string;
  /** SHA-256 of what the server stored for an upload (from its disk, or serve's 226 reply). */
  stored(name: string, stderr: string): string | undefined;
  /** URL to probe, and the digest each probe download must match (null: the probe checks it itself). */
  probeUrl(): string;
  probeSha256(): string | null;
}

describe.skipIf(skip)('FTPS matrix: get, put and probe in every data mode against serve, vsftpd and pure-ftpd', () => {
  requireDist();
  const lab = useLab({ topology: 'direct' });
  let certificate: TestCertificate;
  let serve: { url: string; stop(): Promise<void> };
  let serveImplicit: { url: string; stop(): Promise<void> };
  let vsftpd: Vsftpd;
  let vsftpdImplicit: Vsftpd;
  let pure: PureFtpdTls;
  let upload: string;
  let serveDigest: string;
  let counter = 0;

  beforeAll(async () => {
    const address = lab().addresses.server.v4;
    certificate = await selfSignedCertificate([address]);
    const files = { 'f.bin': SIZE, 'empty.bin': 0 };
    // TLS offered, not required: the same servers also answer the plain empty-file runs.
    [serve, vsftpd, vsftpdImplicit, pure, serveImplicit] = await Promise.all([
      startServe(lab(), 2201, ['--tls-cert', certificate.certFile, '--tls-key', certificate.keyFile]),
      startVsftpd(lab(), { mptcp: true, port: 2202, tls: true, upload: true, files }),
      startVsftpd(lab(), { mptcp: true, port: 2203, tls: { require: true }, upload: true, files, config: { implicit_ssl: 'YES' } }),
      startPureFtpdTls(lab(), { port: 2204, certificate: certificate.combinedFile, files }),
      startServe(lab(), 2205, ['--tls-cert', certificate.certFile, '--tls-key', certificate.keyFile, '--tls-implicit']),
    ]);
    upload = path.join(lab().tmpDir, 'upload.bin');
    writeFileSync(upload, randomBytes(SIZE));
    serveDigest = await computeDigest(SIZE);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([serve?.stop(), vsftpd?.stop(), vsftpdImplicit?.stop(), pure?.stop(), serveImplicit?.stop()]);
    certificate?.dispose();
  });

  const fromDisk = (dir: () => string | undefined) => (name: string) => {
    try {
      return sha256(readFileSync(path.join(dir()!, name)));
    } catch {
      return undefined;
    }
  };
  const host = () => lab().addresses.server.v4;
  const targets: Target[] = [
    {
      name: 'serve ftpes',
      getUrl: () => `ftpes://${host()}:2201/probe/${SIZE}`,
      putUrl: (name) => `ftpes://${host()}:2201/upload/${name}`,
      ca: () => certificate.certFile,
      expected: () => serveDigest,
      // serve hashes uploads and discards them: its 226 reply carries the digest.
      stored: (_name, stderr) => /< 226 .*SHA-256 ([0-9a-f]{64})/.exec(stderr)?.[1],
      probeUrl: () => `ftpes://${host()}:2201/`,
      probeSha256: () => null,
    },
    {
      name: 'serve ftps (implicit)',
      getUrl: () => `ftps://${host()}:2205/probe/${SIZE}`,
      putUrl: (name) => `ftps://${host()}:2205/upload/${name}`,
      ca: () => certificate.certFile,
      expected: () => serveDigest,
      stored: (_name, stderr) => /< 226 .*SHA-256 ([0-9a-f]{64})/.exec(stderr)?.[1],
      probeUrl: () => `ftps://${host()}:2205/`,
      probeSha256: () => null,
    },
    {
      name: 'vsftpd ftpes',
      getUrl: () => `ftpes://${host()}:2202/f.bin`,
      putUrl: (name) => `ftpes://${host()}:2202/upload/${name}`,
      ca: () => vsftpd.certificate!,
      expected: () => vsftpd.files['f.bin']!.sha256,
      stored: fromDisk(() => vsftpd.uploadDir),
      probeUrl: () => `ftpes://${host()}:2202/f.bin`,
      probeSha256: () => vsftpd.files['f.bin']!.sha256,
    },
    {
      name: 'vsftpd ftps (implicit)',
      getUrl: () => `ftps://${host()}:2203/f.bin`,
      putUrl: (name) => `ftps://${host()}:2203/upload/${name}`,
      ca: () => vsftpdImplicit.certificate!,
      expected: () => vsftpdImplicit.files['f.bin']!.sha256,
      stored: fromDisk(() => vsftpdImplicit.uploadDir),
      probeUrl: () => `ftps://${host()}:2203/f.bin`,
      probeSha256: () => vsftpdImplicit.files['f.bin']!.sha256,
    },
    {
      name: 'pure-ftpd ftpes',
      getUrl: () => `ftpes://${pure.user}:${pure.password}@${host()}:2204/f.bin`,
      putUrl: (name) => `ftpes://${pure.user}:${pure.password}@${host()}:2204/${name}`,
      ca: () => certificate.certFile,
      expected: () => pure.files['f.bin']!.sha256,
      stored: fromDisk(() => pure.home),
      probeUrl: () => `ftpes://${pure.user}:${pure.password}@${host()}:2204/f.bin`,
      probeSha256: () => pure.files['f.bin']!.sha256,
    },
  ];

  for (const target of targets) {
    for (const mode of MODES) {
      test(`${target.name}, ${mode}: get and put byte-exact, every connection MPTCP`, async () => {
        const file = path.join(lab().tmpDir, `got-${++counter}.bin`);
        const get = await lab().runNode('client', ['get', target.getUrl(), file, '--mode', mode, '--ca', target.ca(), '--json', '--timeout', '10'], { timeoutMs: 30_000 });
        expect(get.exitCode, get.stderr).toBe(0);
        const got = JSON.parse(get.stdout) as GetJson;
        expect(got).toMatchObject({ mode, tls: true, bytes: SIZE, allMptcp: true });
        expect(sha256(readFileSync(file))).toBe(target.expected());

        const name = `put-${counter}.bin`;
        const put = await lab().runNode('client', ['put', upload, target.putUrl(name), '--mode', mode, '--ca', target.ca(), '--json', '--verbose', '--timeout', '10'], { timeoutMs: 30_000 });
        expect(put.exitCode, put.stderr).toBe(0);
        const sent = JSON.parse(put.stdout) as PutJson;
        expect(sent).toMatchObject({ mode, tls: true, bytes: SIZE, allMptcp: true });
        expect(target.stored(name, put.stderr)).toBe(sha256(readFileSync(upload)));
      });
    }

    test(`${target.name}: probe in all four modes, transfers byte-exact, MPTCP held`, async () => {
      const { exitCode, result, stderr } = await probe(lab(), target.probeUrl(), ['--mode', 'all', '--ca', target.ca(), '--timeout', '20']);
      expect(result.runs.map((r) => r.mode)).toEqual([...MODES]);
      for (const run of result.runs) {
        expect(run.error, `${run.mode}: ${JSON.stringify(run.error)}`).toBeUndefined();
        const download = run.transfers.find((t) => t.direction === 'download');
        expect(download?.bytes, run.mode).toBe(SIZE);
        const expectedDigest = target.probeSha256();
        if (expectedDigest === null) expect(download?.matched, `${run.mode}: serve's digest`).toBe(true);
        else expect(download?.sha256, run.mode).toBe(expectedDigest);
      }
      // Nothing interferes in this lab: every run's verdict must be held, with no cause named.
      expect(result.runs.map((r) => [r.mode, r.verdict.status, r.verdict.cause]), stderr).toEqual(MODES.map((m) => [m, 'held', 'none']));
      expect(exitCode).toBe(0);
    }, 60_000);
  }

  test(`an empty file ${REPEATS} times per mode: serve (its own process) plain, vsftpd plain and ftpes, pure-ftpd ftpes`, async () => {
    const urls = [
      `ftp://${host()}:2201/probe/0`,
      `ftp://${host()}:2202/empty.bin`,
      `ftpes://${host()}:2202/empty.bin`, '--ca', vsftpd.certificate!,
      `ftpes://${pure.user}:${pure.password}@${host()}:2204/empty.bin`, '--ca', certificate.certFile,
    ];
    // One process for all of them (in-process loops): a process start per download would take minutes.
    const run = await lab().runNode('client', ['test/e2e/support/empty-downloads.ts', String(REPEATS), ...urls], { timeoutMs: 150_000 });
    expect(run.exitCode, run.stderr).toBe(0);
    const { count, results } = JSON.parse(run.stdout) as { count: number; results: Array<{ url: string; mode: string; failures: string[] }> };
    expect(count).toBe(REPEATS);
    expect(results).toHaveLength(4 * MODES.length);
    expect(results.filter((r) => r.failures.length > 0)).toEqual([]);
  }, 180_000);
});
