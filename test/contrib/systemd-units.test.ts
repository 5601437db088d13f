// The units in contrib/systemd, as systemd-analyze verify sees them installed: in a scratch root
// holding systemd's own units, the executable at the path ExecStart names, and the man page the
// Documentation= line points at. verify also fails when that executable is missing (checked).
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot, requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';

const units = join(packageRoot, 'contrib', 'systemd');
const skip = missingRequirement('systemd units', 'tool:systemd-analyze', 'file:/usr/lib/systemd/system/timers.target');
const VERIFIED = ['mptcp-doctor.service', 'mptcp-doctor.timer', 'mptcp-doctor-probe@backup.service', 'mptcp-doctor-probe@backup.timer'];

describe.skipIf(skip)('contrib/systemd units', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mptcp-doctor-systemd-'));
    mkdirSync(join(root, 'usr', 'lib', 'systemd'), { recursive: true });
    cpSync('/usr/lib/systemd/system', join(root, 'usr', 'lib', 'systemd', 'system'), { recursive: true, verbatimSymlinks: true });
    for (const dir of ['etc/systemd/system', 'etc/mptcp-doctor', 'usr/local/bin', 'bin', 'man/man1']) mkdirSync(join(root, dir), { recursive: true });
    for (const unit of readdirSync(units)) copyFileSync(join(units, unit), join(root, 'etc', 'systemd', 'system', unit));
    copyFileSync(requireDist(), join(root, 'usr', 'local', 'bin', 'mptcp-doctor'));
    chmodSync(join(root, 'usr', 'local', 'bin', 'mptcp-doctor'), 0o755);
    copyFileSync('/bin/sh', join(root, 'bin', 'sh'));
    copyFileSync(join(packageRoot, 'man', 'mptcp-doctor.1'), join(root, 'man', 'man1', 'mptcp-doctor.1'));
    writeFileSync(join(root, 'etc', 'mptcp-doctor', 'probe-backup.conf'), 'MPTCP_DOCTOR_PROBE_URL=ftp://192.0.2.1:2121/\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function verify() {
    return execa('systemd-analyze', ['verify', `--root=${root}`, ...VERIFIED.map((u) => `/etc/systemd/system/${u}`)], {
      // Documentation=man:mptcp-doctor(1) is checked with man(1): our page, not a system one.
      env: { MANPATH: join(root, 'man'), SYSTEMD_LOG_LEVEL: 'notice' },
      reject: false,
      timeout: 30_000,
    });
  }

  it('systemd-analyze verify accepts them, without a warning', async () => {
    const result = await verify();
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('the timers start their services, and the check writes node_exporter\'s textfile', async () => {
    const text = (name: string) => execa('cat', [join(units, name)]).then((r) => r.stdout);
    expect(await text('mptcp-doctor.service')).toMatch(/^ExecStart=\/usr\/local\/bin\/mptcp-doctor check --format prometheus --output \/var\/lib\/prometheus\/node-exporter\/mptcp-doctor\.prom$/m);
    expect(await text('mptcp-doctor.timer')).toMatch(/^WantedBy=timers\.target$/m);
    expect(await text('mptcp-doctor-probe@.timer')).toMatch(/^WantedBy=timers\.target$/m);
  });

  it('verify fails when the executable is not where ExecStart says (the root is really used)', async () => {
    rmSync(join(root, 'usr', 'local', 'bin', 'mptcp-doctor'));
    const result = await verify();
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('Command /usr/local/bin/mptcp-doctor is not executable');
  });
});
