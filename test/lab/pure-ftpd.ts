// A second third-party FTP server for the lab: Debian's pure-ftpd, with one virtual user (puredb)
// whose home holds the files a test asks for. Under `mptcpize run` (with the same SO_OOBINLINE shim
// as vsftpd) for MPTCP, or bare for plain TCP. Our client must work with servers nobody here wrote.
import { chmodSync, chownSync, mkdirSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { Lab } from './lab.js';
import type { LabProcess } from './process.js';
import { underMptcpize } from './shim.js';
import { writeServedFile, type ServedFile } from './vsftpd.js';

export interface PureFtpdOptions {
  mptcp: boolean;
  files?: Record<string, Buffer | number>;
  port?: number;
  namespace?: string;
}

export interface PureFtpd {
  process: LabProcess;
  files: Record<string, ServedFile>;
  user: string;
  password: string;
  /** ftp://user:password@server:port/name */
  url(name?: string): string;
  stop(): Promise<void>;
}

/** Where scripts/lab-deps.sh unpacks Debian's pure-ftpd (it conflicts with vsftpd as a package). */
export const PURE_FTPD_ROOT = process.env.PURE_FTPD_ROOT ?? '/opt/mptcp-doctor-lab/pure-ftpd';
export const pureFtpdBinary = path.join(PURE_FTPD_ROOT, 'usr', 'sbin', 'pure-ftpd');
const purePwBinary = path.join(PURE_FTPD_ROOT, 'usr', 'bin', 'pure-pw');

let instance = 0;

export async function startPureFtpd(lab: Lab, options: PureFtpdOptions): Promise<PureFtpd> {
  const ns = options.namespace ?? 'server';
  const address = lab.addresses.server.v4;
  const port = options.port ?? 21;
  instance += 1;
  const dir = mkdtempSync(path.join(lab.tmpDir, `pureftpd${instance}-`));
  chmodSync(dir, 0o755);
  const home = path.join(dir, 'home');
  mkdirSync(home, { mode: 0o755 });
  const files: Record<string, ServedFile> = {};
  for (const [name, content] of Object.entries(options.files ?? {})) files[name] = writeServedFile(home, name, content);
  // The virtual user maps to nobody: pure-ftpd refuses root-owned logins.
  const nobody = Number((await execa('id', ['-u', 'nobody'])).stdout);
  const nogroup = Number((await execa('id', ['-g', 'nobody'])).stdout);
  chownSync(home, nobody, nogroup);
  const user = 'labuser';
  const password = 'lab-secret-42';
  const passwd = path.join(dir, 'passwd');
  const db = path.join(dir, 'pure.pdb');
  await execa(purePwBinary, ['useradd', user, '-u', String(nobody), '-g', String(nogroup), '-d', home, '-f', passwd], { input: `${password}\n${password}\n` });
  await execa(purePwBinary, ['mkdb', db, '-f', passwd]);
  // -E: no anonymous logins; -S: where to listen; -p: passive ports (in the foreground by default).
  const argv = [pureFtpdBinary, '-l', `puredb:${db}`, '-E', '-S', `${address},${port}`, '-p', '31000:31099'];
  const process = await lab.spawnListening(ns, options.mptcp ? await underMptcpize(argv) : argv, port);
  return {
    process,
    files,
    user,
    password,
    url: (name = '') => `ftp://${user}:${password}@${address}:${port}/${name}`,
    stop: () => process.stop().then(() => undefined),
  };
}
