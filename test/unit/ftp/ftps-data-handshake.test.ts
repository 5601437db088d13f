// Explicit FTPS in all four data modes, download and upload, byte-exact, whenever the server ends
// the data connection's TLS handshake. serve starts TLS on a passive data connection at accept and
// may finish the handshake before its 150 reply (vsftpd only after it): a client that starts
// listening for the handshake's end after the 150 waits for an event that already fired, and
// times out. A scripted server pins that order down; serve itself is checked too.
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpClient, type DataMode } from '../../../src/ftp/index.js';
import { computeDigest, startServer, type ProbeServer } from '../../../src/server/index.js';
import { missingRequirement } from '../../support/gate.js';
import { selfSignedCertificate, type TestCertificate } from './certificate.js';
import { startEarlyHandshakeServer, type EarlyHandshakeServer } from './early-handshake-server.js';

const MODES: DataMode[] = ['epsv', 'pasv', 'eprt', 'port'];
const SIZE = 1 << 20;
const skip = missingRequirement('FTPS against serve', 'tool:openssl');

function hashingSink(): { sink: Writable; digest(): string } {
  const hash = createHash('sha256');
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done();
    },
  });
  return { sink, digest: () => hash.digest('hex') };
}

const payload = Buffer.from(Array.from({ length: SIZE }, (_, i) => (i * 7) & 255));
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe.skipIf(skip)('explicit FTPS, server that completes the data handshake before its 150', () => {
  let server: EarlyHandshakeServer;
  let certificate: TestCertificate;
  beforeAll(async () => {
    certificate = await selfSignedCertificate();
    server = await startEarlyHandshakeServer(certificate, payload);
  });
  afterAll(() => {
    server?.close();
    certificate?.dispose();
  });

  for (const mode of MODES) {
    it(`${mode}: get and put byte-exact within a 3 s reply timeout`, async () => {
      const client = await FtpClient.connect({
        host: '127.0.0.1', port: server.port, mode, security: 'explicit', tls: { ca: certificate.cert },
        replyTimeoutMs: 3000, connectTimeoutMs: 3000, idleTimeoutMs: 3000,
      });
      try {
        await client.login('anonymous', 'x@');
        const { sink, digest } = hashingSink();
        const download = await client.download('f.bin', sink);
        expect(download).toMatchObject({ mode, bytes: SIZE, announcedSize: SIZE, finalReply: { code: 226 } });
        expect(digest()).toBe(sha256(payload));
        const upload = await client.upload('up.bin', Readable.from([payload]));
        expect(upload).toMatchObject({ mode, bytes: SIZE, finalReply: { code: 226 } });
        expect(upload.finalReply.message).toBe(`received ${SIZE} bytes, SHA-256 ${sha256(payload)}`);
      } finally {
        await client.close();
      }
    });
  }
});

describe.skipIf(skip)('explicit FTPS against serve (in-process), every data mode', () => {
  let server: ProbeServer;
  let certificate: TestCertificate;
  let expected: string;
  beforeAll(async () => {
    certificate = await selfSignedCertificate();
    server = await startServer({ port: 0, tls: { cert: certificate.cert, key: certificate.key } });
    expected = await computeDigest(SIZE);
  });
  afterAll(async () => {
    await server?.close(1000);
    certificate?.dispose();
  });

  for (const mode of MODES) {
    it(`${mode}: get and put 1 MiB byte-exact, data connection under TLS, well within the reply timeout`, async () => {
      // A short reply timeout: the handshake wait that missed serve's early handshake ran into it.
      const client = await FtpClient.connect({
        host: '127.0.0.1', port: server.port, mode, security: 'explicit', tls: { ca: certificate.cert },
        replyTimeoutMs: 3000, connectTimeoutMs: 3000, idleTimeoutMs: 3000,
      });
      try {
        await client.login('anonymous', 'x@');
        expect(client.secure).toBe(true);
        const started = Date.now();
        const { sink, digest } = hashingSink();
        const download = await client.download(`/probe/${SIZE}`, sink);
        expect(download).toMatchObject({ mode, bytes: SIZE, finalReply: { code: 226 } });
        expect(digest()).toBe(expected);
        expect(Date.now() - started).toBeLessThan(2500);

        const upload = await client.upload('/upload/ftps.bin', Readable.from([payload]));
        expect(upload).toMatchObject({ mode, bytes: SIZE, finalReply: { code: 226 } });
        // serve hashes what it received and says so in its 226 reply.
        expect(upload.finalReply.message).toContain(sha256(payload));
      } finally {
        await client.close();
      }
    });
  }
});
