// Debian's vsftpd as a third-party FTP server inside a lab namespace: bare for plain TCP, or under
// `mptcpize run` (with the SO_OOBINLINE shim preloaded as well) for MPTCP.
import { randomBytes, createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, openSync, writeSync, closeSync, writeFileSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { Lab, NamespaceRef } from './lab.js';
import type { LabProcess } from './process.js';
import { underMptcpize } from './shim.js';

export interface VsftpdOptions {
  /** Run under `mptcpize run` (MPTCP sockets) or bare (plain TCP). */
  mptcp: boolean;
  /** Files in the anonymous root: content, or a size in bytes (random content, see `files` in the result). */
  files?: Record<string, Buffer | number>;
  /** Control port (default 21). */
  port?: number;
  /** Address to listen on (default the lab's server IPv4; an IPv6 literal switches to listen_ipv6). */
  address?: string;
  /** Allow PORT/EPRT (default true). */
  active?: boolean;
  /** Allow PASV/EPSV (default true). */
  passive?: boolean;
  /** Address vsftpd announces in PASV replies (behind NAT). */
  pasvAddress?: string;
  /** Passive data port range (default 30000-30099). */
  pasvPorts?: [number, number];
  /** Explicit FTPS (AUTH TLS) with a self-signed certificate the harness makes; `require` forces TLS for login and data. */
  tls?: boolean | { require?: boolean };
  /** Anonymous upload into `upload/` (a subdirectory owned by the ftp user; the root stays read-only). */
  upload?: boolean;
  /** More vsftpd.conf lines, applied last. */
  config?: Record<string, string>;
  /** Namespace (default 'server'). */
  namespace?: NamespaceRef;
}

export interface ServedFile {
  path: string;
  size: number;
  sha256: string;
}

export interface Vsftpd {
  process: LabProcess;
  address: string;
  port: number;
  /** the anonymous root */
  root: string;
  /** where anonymous uploads land (upload: true), as `upload/` in FTP paths */
  uploadDir: string | undefined;
  /** files written into the root, by name */
  files: Record<string, ServedFile>;
  /** PEM certificate (tls only): trust it with curl --cacert, or use --insecure */
  certificate: string | undefined;
  configPath: string;
  /** `ftp://address:port/name` (IPv6 in brackets) */
  url(name?: string): string;
  /** vsftpd's own log (protocol and transfers) */
  log(): Promise<string>;
  stop(): Promise<void>;
}

const FTP_USER_FALLBACK = { uid: 0, gid: 0 };

let instance = 0;

export async function startVsftpd(lab: Lab, options: VsftpdOptions): Promise<Vsftpd> {
  const ns = options.namespace ?? 'server';
  const address = options.address ?? lab.addresses.server.v4;
  const port = options.port ?? 21;
  instance += 1;
  const dir = mkdtempSync(path.join(lab.tmpDir, `vsftpd${instance}-`));
  chmodSync(dir, 0o755);
  const root = path.join(dir, 'root');
  const empty = path.join(dir, 'empty');
  mkdirSync(root, { mode: 0o755 });
  mkdirSync(empty, { mode: 0o755 });
  const files: Record<string, ServedFile> = {};
  for (const [name, content] of Object.entries(options.files ?? {})) {
    files[name] = writeServedFile(root, name, content);
  }
  let uploadDir: string | undefined;
  if (options.upload) {
    uploadDir = path.join(root, 'upload');
    mkdirSync(uploadDir, { mode: 0o755 });
    const ftp = await ftpUser();
    chownSync(uploadDir, ftp.uid, ftp.gid);
  }
  let certificate: string | undefined;
  let key: string | undefined;
  if (options.tls) {
    certificate = path.join(dir, 'cert.pem');
    key = path.join(dir, 'key.pem');
    await makeCertificate(certificate, key, address);
  }
  const ipv6 = address.includes(':');
  const [pasvMin, pasvMax] = options.pasvPorts ?? [30000, 30099];
  const config: Record<string, string> = {
    listen: ipv6 ? 'NO' : 'YES',
    listen_ipv6: ipv6 ? 'YES' : 'NO',
    listen_address: ipv6 ? '' : address,
    listen_address6: ipv6 ? address : '',
    listen_port: String(port),
    // Stay in the foreground: the lab owns the pid and stops it.
    background: 'NO',
    // The seccomp sandbox kills the process on syscalls the preloaded libraries make.
    seccomp_sandbox: 'NO',
    // Sessions would otherwise run in fresh PID and network namespaces of their own (vsftpd 3's
    // default): keep them in the lab's namespace, where `ip netns pids` and destroy() find them.
    isolate: 'NO',
    isolate_network: 'NO',
    secure_chroot_dir: empty,
    anonymous_enable: 'YES',
    no_anon_password: 'YES',
    anon_root: root,
    local_enable: 'NO',
    write_enable: options.upload ? 'YES' : 'NO',
    anon_upload_enable: options.upload ? 'YES' : 'NO',
    anon_mkdir_write_enable: options.upload ? 'YES' : 'NO',
    anon_other_write_enable: options.upload ? 'YES' : 'NO',
    // Uploaded files readable again by anonymous downloads.
    anon_umask: '022',
    anon_world_readable_only: 'YES',
    port_enable: options.active === false ? 'NO' : 'YES',
    connect_from_port_20: 'NO',
    // PORT must name the control connection's peer (the default, stated): an FTP ALG that rewrites
    // PORT shows as a working transfer, one that does not as '500 Illegal PORT command'.
    port_promiscuous: 'NO',
    pasv_enable: options.passive === false ? 'NO' : 'YES',
    pasv_min_port: String(pasvMin),
    pasv_max_port: String(pasvMax),
    ...(options.pasvAddress ? { pasv_address: options.pasvAddress } : {}),
    dirmessage_enable: 'NO',
    hide_ids: 'YES',
    use_localtime: 'NO',
    xferlog_enable: 'YES',
    xferlog_std_format: 'NO',
    log_ftp_protocol: 'YES',
    vsftpd_log_file: path.join(dir, 'vsftpd.log'),
    idle_session_timeout: '60',
    data_connection_timeout: '30',
    max_per_ip: '0',
    max_clients: '0',
  };
  if (options.tls) {
    const require = typeof options.tls === 'object' && options.tls.require === true;
    Object.assign(config, {
      ssl_enable: 'YES',
      allow_anon_ssl: 'YES',
      force_anon_logins_ssl: require ? 'YES' : 'NO',
      force_anon_data_ssl: require ? 'YES' : 'NO',
      rsa_cert_file: certificate!,
      rsa_private_key_file: key!,
      ssl_tlsv1: 'NO',
      ssl_sslv2: 'NO',
      ssl_sslv3: 'NO',
    });
  }
  Object.assign(config, options.config);
  const configPath = path.join(dir, 'vsftpd.conf');
  const text = Object.entries(config).filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}\n`).join('');
  // vsftpd refuses a config file that root does not own or others can write.
  writeFileSync(configPath, text, { mode: 0o600 });

  const argv = ['vsftpd', configPath];
  const process = await lab.spawnListening(ns, options.mptcp ? await underMptcpize(argv) : argv, port);
  const host = ipv6 ? `[${address}]` : address;
  return {
    process,
    address,
    port,
    root,
    uploadDir,
    files,
    certificate,
    configPath,
    url: (name = '') => `ftp://${host}:${port}/${name}`,
    log: async () => {
      const { readFile } = await import('node:fs/promises');
      return readFile(config.vsftpd_log_file!, 'utf8').catch(() => '');
    },
    stop: async () => {
      await process.stop();
    },
  };
}

export function writeServedFile(root: string, name: string, content: Buffer | number): ServedFile {
  if (name.includes('/') || name === '' || name.startsWith('.')) throw new Error(`lab: served file name ${name} must be a plain name`);
  const file = path.join(root, name);
  const hash = createHash('sha256');
  if (typeof content === 'number') {
    const fd = openSync(file, 'w', 0o644);
    try {
      let left = content;
      while (left > 0) {
        const chunk = randomBytes(Math.min(left, 1 << 20));
        writeSync(fd, chunk);
        hash.update(chunk);
        left -= chunk.length;
      }
    } finally {
      closeSync(fd);
    }
    return { path: file, size: content, sha256: hash.digest('hex') };
  }
  writeFileSync(file, content, { mode: 0o644 });
  return { path: file, size: content.length, sha256: hash.update(content).digest('hex') };
}

async function ftpUser(): Promise<{ uid: number; gid: number }> {
  const r = await execa('getent', ['passwd', 'ftp'], { reject: false });
  const fields = r.stdout.trim().split(':');
  if (r.exitCode !== 0 || fields.length < 4) return FTP_USER_FALLBACK;
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

async function makeCertificate(certificate: string, key: string, address: string): Promise<void> {
  const san = address.includes(':') ? `IP:${address}` : `IP:${address}`;
  const r = await execa('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-keyout', key, '-out', certificate,
    '-subj', '/CN=mptcp-doctor lab', '-addext', `subjectAltName=${san},DNS:localhost`,
  ], { reject: false, timeout: 30_000 });
  if (r.exitCode !== 0) throw new Error(`lab: openssl could not make a certificate: ${r.stderr.trim()}`);
  chmodSync(key, 0o600);
}
