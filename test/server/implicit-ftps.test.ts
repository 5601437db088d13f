// Implicit FTPS against serve (ftps://): TLS from the first byte of the control connection, then
// get, put and probe in every data mode, byte-exact.
import { Readable, Writable } from 'node:stream';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FtpClient, type DataMode } from '../../src/ftp/index.js';
import { probeBytes } from '../../src/protocol/probe-stream.js';
import { computeDigest, startServer, type ProbeServer } from '../../src/server/index.js';
import { requireDist } from '../support/dist.js';
import { selfSignedCertificate, type TestCertificate } from '../unit/ftp/certificate.js';

const MODES: DataMode[] = ['epsv', 'pasv', 'eprt', 'port'];
const cli = requireDist();

describe('serve --tls-implicit', () => {
  let certificate: TestCertificate;
  let server: ProbeServer;
  beforeAll(async () => {
    certificate = await selfSignedCertificate();
    server = await startServer({ host: '127.0.0.1', port: 0, tls: { cert: certificate.cert, key: certificate.key }, tlsImplicit: true });
  });
  afterAll(async () => {
    await server?.close(0);
    certificate?.dispose();
  });

  test.each(MODES)('%s: a download and an upload over implicit FTPS, byte-exact', async (mode) => {
    const client = await FtpClient.connect({
      host: '127.0.0.1', port: server.port, security: 'implicit', tls: { ca: certificate.cert }, mode,
      replyTimeoutMs: 10_000, idleTimeoutMs: 10_000, connectTimeoutMs: 10_000,
    });
    try {
      expect(client.secure).toBe(true);
      await client.login('anonymous', 'test@');
      const chunks: Buffer[] = [];
      await client.download('/probe/256K', new Writable({ write: (chunk: Buffer, _e, done) => { chunks.push(chunk); done(); } }));
      expect(Buffer.concat(chunks).equals(probeBytes(0, 256 * 1024))).toBe(true);
      const upload = await client.upload('/upload/implicit.bin', Readable.from([probeBytes(0, 64 * 1024)]));
      expect(upload.bytes).toBe(64 * 1024);
    } finally {
      await client.close().catch(() => undefined);
    }
  });

  test('a plain client gets no FTP greeting in clear text (TLS comes first)', async () => {
    const client = FtpClient.connect({ host: '127.0.0.1', port: server.port, security: 'none', replyTimeoutMs: 1500, connectTimeoutMs: 5000 });
    await expect(client).rejects.toThrow();
  });

  test('probe ftps:// with the CA: held in all four modes, digest matched', async () => {
    const result = await execa('node', [cli, 'probe', `ftps://127.0.0.1:${server.port}/`, '--mode', 'all', '--ca', certificate.certFile, '--size', '256K', '--json'], {
      reject: false, timeout: 60_000,
    });
    const json = JSON.parse(result.stdout);
    expect(json.verdict.status).toBe('held');
    expect(json.transfer.matched).toBe(true);
    expect(json.transfer.sha256).toBe(await computeDigest(256 * 1024));
    expect(result.exitCode).toBe(0);
  });
});
