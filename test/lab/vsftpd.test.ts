// vsftpd in the lab: under mptcpize it serves over MPTCP in passive and active mode (with the
// SO_OOBINLINE shim), bare it serves plain TCP; FTPS and anonymous upload work.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingRequirement } from '../support/gate.js';
import type { Lab } from './lab.js';
import { startVsftpd, type Vsftpd } from './vsftpd.js';
import { useLab } from './vitest.js';

const skip = missingRequirement('lab vsftpd', 'root', 'netns', 'tool:vsftpd', 'tool:mptcpize', 'tool:curl', 'tool:gcc', 'tool:openssl');

let downloads = 0;

/** curl (under mptcpize unless tcp) in the client namespace; returns the file's sha256 and counter deltas. */
async function fetch(lab: Lab, ftp: Vsftpd, name: string, options: { active?: boolean; tcp?: boolean; extra?: string[] } = {}) {
  downloads += 1;
  const out = path.join(lab.tmpDir, `download-${downloads}`);
  const curl = ['curl', '-sS', '--max-time', '10', '-o', out, ...(options.active ? ['--ftp-port', '-'] : []), ...(options.extra ?? []), ftp.url(name)];
  const { result, deltas } = await lab.countersAround(['client', 'server'], () =>
    lab.exec('client', options.tcp ? curl : ['mptcpize', 'run', ...curl], { timeoutMs: 15_000 }));
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  const sha256 = createHash('sha256').update(readFileSync(out)).digest('hex');
  return { sha256, client: deltas.client ?? {}, server: deltas.server ?? {} };
}

describe.skipIf(skip)('lab: vsftpd', () => {
  const lab = useLab({ topology: 'routed', links: 2 });

  it('under mptcpize serves a file over MPTCP in passive mode (control and data are MPTCP)', async () => {
    const ftp = await startVsftpd(lab(), { mptcp: true, files: { 'p.bin': 2_000_000 } });
    const got = await fetch(lab(), ftp, 'p.bin');
    expect(got.sha256).toBe(ftp.files['p.bin']!.sha256);
    expect(got.server.MPCapableSYNRX).toBe(2); // control + passive data connection accepted as MPTCP
    expect(got.server.MPCapableFallbackACK).toBeUndefined();
    expect(got.client.MPCapableSYNACKRX).toBe(2);
    expect(got.server.MPJoinSynRx ?? 0).toBeGreaterThanOrEqual(1); // the client's second link joined
    await ftp.stop();
  });

  it('under mptcpize serves a file over MPTCP in active mode (vsftpd opens the data connection)', async () => {
    const ftp = await startVsftpd(lab(), { mptcp: true, files: { 'a.bin': 1_000_000 }, port: 2121 });
    const got = await fetch(lab(), ftp, 'a.bin', { active: true });
    expect(got.sha256).toBe(ftp.files['a.bin']!.sha256);
    expect(got.server.MPCapableSYNRX).toBe(1); // control
    expect(got.server.MPCapableSYNACKRX).toBe(1); // active data connection opened by vsftpd as MPTCP
    expect(got.client.MPCapableSYNRX).toBe(1);
    expect(await ftp.log()).toMatch(/"(EPRT|PORT) /);
    await ftp.stop();
  });

  it('bare vsftpd serves plain TCP (an MPTCP client falls back at the handshake)', async () => {
    const ftp = await startVsftpd(lab(), { mptcp: false, files: { 't.bin': 500_000 }, port: 2122 });
    const got = await fetch(lab(), ftp, 't.bin');
    expect(got.sha256).toBe(ftp.files['t.bin']!.sha256);
    expect(got.server.MPCapableSYNRX).toBeUndefined();
    expect(got.client.MPCapableFallbackSYNACK).toBe(2);
    const plain = await fetch(lab(), ftp, 't.bin', { tcp: true, active: true });
    expect(plain.sha256).toBe(ftp.files['t.bin']!.sha256);
    expect(plain.client.MPCapableSYNTX).toBeUndefined();
    await ftp.stop();
  });

  it('serves explicit FTPS over MPTCP with the harness\'s certificate, and takes anonymous uploads', async () => {
    const ftp = await startVsftpd(lab(), { mptcp: true, files: { 's.bin': 300_000 }, tls: { require: true }, upload: true, port: 2123 });
    const got = await fetch(lab(), ftp, 's.bin', { extra: ['--ssl-reqd', '--cacert', ftp.certificate!] });
    expect(got.sha256).toBe(ftp.files['s.bin']!.sha256);
    expect(got.server.MPCapableSYNRX).toBe(2);
    // Without TLS the server refuses the login (force_anon_logins_ssl).
    const refused = await lab().exec('client', ['curl', '-sS', '--max-time', '5', '-o', '/dev/null', ftp.url('s.bin')]);
    expect(refused.exitCode).not.toBe(0);
    const source = path.join(lab().tmpDir, 'upload-source');
    const payload = Buffer.from('uploaded through the lab\n');
    (await import('node:fs')).writeFileSync(source, payload);
    const up = await lab().exec('client', ['mptcpize', 'run', 'curl', '-sS', '--max-time', '10', '--ssl-reqd', '--cacert', ftp.certificate!, '-T', source, ftp.url('upload/u.txt')], { timeoutMs: 15_000 });
    expect(up.stderr).toBe('');
    expect(readFileSync(path.join(ftp.uploadDir!, 'u.txt'))).toEqual(payload);
    await ftp.stop();
  });

  it('stop() leaves no vsftpd process in the namespace', async () => {
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2124 });
    await ftp.stop();
    expect(lab().pids('server')).toEqual([]);
  });
});
