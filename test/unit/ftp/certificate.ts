// A throw-away self-signed certificate for FTPS tests, made by openssl (as an administrator would).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface TestCertificate {
  /** Certificate then key in one file (what pure-ftpd's --certfile takes). */
  combinedFile: string;
  cert: Buffer;
  key: Buffer;
  certFile: string;
  keyFile: string;
  dispose(): void;
}

/** RSA 2048, valid two days, for 127.0.0.1, ::1, localhost and `addresses` (IP literals). */
export async function selfSignedCertificate(addresses: readonly string[] = []): Promise<TestCertificate> {
  const names = ['IP:127.0.0.1', 'IP:::1', 'DNS:localhost', ...addresses.map((a) => `IP:${a}`)].join(',');
  const dir = mkdtempSync(path.join(tmpdir(), 'ftp-cert-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await execa('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-keyout', keyFile, '-out', certFile,
    '-subj', '/CN=mptcp-doctor test', '-addext', `subjectAltName=${names}`,
  ], { timeout: 30_000 });
  // Servers that drop privileges (vsftpd, pure-ftpd) read it as root at start: readable by root only is enough.
  chmodSync(keyFile, 0o600);
  chmodSync(dir, 0o755);
  const combinedFile = path.join(dir, 'combined.pem');
  writeFileSync(combinedFile, Buffer.concat([readFileSync(certFile), readFileSync(keyFile)]), { mode: 0o600 });
  return {
    combinedFile,
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    certFile,
    keyFile,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
