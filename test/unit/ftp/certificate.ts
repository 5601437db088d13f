// A throw-away self-signed certificate for FTPS tests, made by openssl (as an administrator would).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface TestCertificate {
  cert: Buffer;
  key: Buffer;
  certFile: string;
  keyFile: string;
  dispose(): void;
}

/** RSA 2048, valid two days, for 127.0.0.1, ::1 and localhost. */
export async function selfSignedCertificate(): Promise<TestCertificate> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ftp-cert-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await execa('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-keyout', keyFile, '-out', certFile,
    '-subj', '/CN=mptcp-doctor test', '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
  ], { timeout: 30_000 });
  return {
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    certFile,
    keyFile,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
