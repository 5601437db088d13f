// An empty file over FTPS from serve, in every data mode, every time. The data connection of an
// empty file carries no byte: serve used to end it before the client's TLS handshake completed, and
// the client saw "disconnected before secure TLS connection was established".
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FtpClient, type DataMode } from '../../src/ftp/index.js';
import { startServer, type ProbeServer } from '../../src/server/index.js';
import { selfSignedCertificate, type TestCertificate } from '../unit/ftp/certificate.js';

const MODES: DataMode[] = ['epsv', 'pasv', 'eprt', 'port'];

describe('serve: empty files over explicit FTPS', () => {
  let certificate: TestCertificate;
  let server: ProbeServer;
  beforeAll(async () => {
    certificate = await selfSignedCertificate();
    server = await startServer({ host: '127.0.0.1', port: 0, tls: { cert: certificate.cert, key: certificate.key } });
  });
  afterAll(async () => {
    await server?.close(0);
    certificate?.dispose();
  });

  test.each(MODES)('%s: 10 empty downloads, each complete', async (mode) => {
    const client = await FtpClient.connect({
      host: '127.0.0.1', port: server.port, security: 'explicit', tls: { insecure: true }, mode,
      replyTimeoutMs: 10_000, idleTimeoutMs: 10_000, connectTimeoutMs: 10_000,
    });
    try {
      await client.login('anonymous', 'test@');
      for (let i = 0; i < 10; i++) {
        let bytes = 0;
        const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => { bytes += chunk.length; done(); } });
        const result = await client.download('/probe/0', sink);
        expect(result.bytes).toBe(0);
        expect(bytes).toBe(0);
      }
    } finally {
      await client.close().catch(() => undefined);
    }
  });
});
