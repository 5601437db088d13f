// Debian's pure-ftpd with explicit FTPS (AUTH TLS), for the FTPS matrix: the lab's startPureFtpd
// with TLS switched on (-Y 2: TLS required on the control connection; -2: the certificate and key
// in one PEM file). One virtual user (puredb) mapped to nobody, whose home holds the files and
// takes the uploads. Debian builds pure-ftpd without implicit TLS, so it has no ftps:// (port 990) mode.
import { chmodSync, chownSync, mkdirSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { Lab } from '../../lab/index.js';
import { PURE_FTPD_ROOT, pureFtpdBinary } from '../../lab/pure-ftpd.js';
import { underMptcpize } from '../../lab/shim.js';
import { writeServedFile, type ServedFile } from '../../lab/vsftpd.js';

export interface PureFtpdTls {
  files: Record<string, ServedFile>;
  /** where uploads land */
  home: string;
  user: string;
  password: string;
  address: string;
  port: number;
  stop(): Promise<void>;
}

const purePw = path.join(PURE_FTPD_ROOT, 'usr', 'bin', 'pure-pw');

export async function startPureFtpdTls(lab: Lab, options: { port: number; certificate: string; files: Record<string, Buffer | number> }): Promise<PureFtpdTls> {
  const address = lab.addresses.server.v4;
  const dir = mkdtempSync(path.join(lab.tmpDir, 'pureftpd-tls-'));
  chmodSync(dir, 0o755);
  const home = path.join(dir, 'home');
  mkdirSync(home, { mode: 0o755 });
  const files: Record<string, ServedFile> = {};
  for (const [name, content] of Object.entries(options.files)) files[name] = writeServedFile(home, name, content);
  // pure-ftpd refuses root-owned logins: the virtual user is nobody.
  const nobody = Number((await execa('id', ['-u', 'nobody'])).stdout);
  const nogroup = Number((await execa('id', ['-g', 'nobody'])).stdout);
  chownSync(home, nobody, nogroup);
  const user = 'tlsuser';
  const password = 'tls-secret-42';
  const passwd = path.join(dir, 'passwd');
  const db = path.join(dir, 'pure.pdb');
  await execa(purePw, ['useradd', user, '-u', String(nobody), '-g', String(nogroup), '-d', home, '-f', passwd], { input: `${password}\n${password}\n` });
  await execa(purePw, ['mkdb', db, '-f', passwd]);
  // -H: no reverse DNS of each client (there is no resolver in the lab: every login waited for it).
  const argv = [
    pureFtpdBinary, '-l', `puredb:${db}`, '-E', '-H', '-S', `${address},${options.port}`, '-p', '31100:31199',
    '-Y', '2', '-2', options.certificate,
  ];
  const process = await lab.spawnListening('server', await underMptcpize(argv), options.port);
  return { files, home, user, password, address, port: options.port, stop: () => process.stop().then(() => undefined) };
}
