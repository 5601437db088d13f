// Nothing of a lab survives: not after destroy(), not after SIGTERM/SIGINT, not after a plain exit.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { missingRequirement } from '../support/gate.js';
import { createLab } from './lab.js';
import { packageRoot } from './paths.js';
import { startVsftpd } from './vsftpd.js';
import { listNamespaces, sweepStaleNamespaces } from './sweep.js';

const skip = missingRequirement('lab cleanup', 'root', 'netns', 'tool:ip', 'tool:vsftpd', 'tool:mptcpize');

function alive(pids: number[]): number[] {
  return pids.filter((pid) => existsSync(`/proc/${pid}`));
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

describe.skipIf(skip)('lab: cleanup', () => {
  it('destroy() removes namespaces, processes (with forked children and live sessions) and temp files', async () => {
    const lab = await createLab({ topology: 'routed', links: 2 });
    const ftp = await startVsftpd(lab, { mptcp: true, files: { 'x.bin': 1_000_000 } });
    // A live control session (vsftpd forks a child per client): a client that holds its control
    // connection open (a rate-limited curl proved too quick: it could finish before it was counted).
    const hold = 'import socket, sys, time; s = socket.create_connection((sys.argv[1], int(sys.argv[2]))); s.recv(100); time.sleep(30)';
    const session = lab.spawn('client', ['mptcpize', 'run', 'python3', '-c', hold, ftp.address, String(ftp.port)]);
    lab.spawn('server', ['sh', '-c', 'sleep 300; true']);
    // vsftpd, its session (2 processes), sh, sleep; and the client. Generous: a loaded CI machine is slow.
    const ready = await until(() => lab.pids('server').length >= 4 && lab.pids('client').length >= 1, 20_000);
    expect(ready, JSON.stringify({ server: lab.pids('server'), client: lab.pids('client'), clientExited: session.exited })).toBe(true);
    const namespaces = Object.values(lab.namespaces) as string[];
    const pids = [...lab.pids('client'), ...lab.pids('server')];
    expect(pids.length).toBeGreaterThanOrEqual(5);
    const started = Date.now();
    await lab.destroy();
    console.log(`destroy took ${Date.now() - started} ms for ${pids.length} processes`);
    expect(session.exited).toBe(true);
    expect(alive(pids)).toEqual([]);
    expect(listNamespaces().filter((n) => namespaces.includes(n))).toEqual([]);
    expect(existsSync(lab.tmpDir)).toBe(false);
    await lab.destroy(); // idempotent
  });

  for (const [how, args] of [['SIGTERM', []], ['SIGINT', []], ['process.exit without destroy', ['--exit']]] as const) {
    it(`the exit and signal handlers clean up after ${how}`, async () => {
      const child = execa(process.execPath, ['--import', 'tsx', 'test/lab/scripts/hold-lab.ts', ...args], { cwd: packageRoot, reject: false, timeout: 30_000 });
      const line = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout!.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('\n')) resolve(text.split('\n')[0]!);
        });
        child.once('exit', () => reject(new Error(`hold-lab exited early: ${text}`)));
      });
      const made = JSON.parse(line) as { namespaces: string[]; pids: number[]; tmpDir: string };
      expect(alive(made.pids).length).toBeGreaterThanOrEqual(2);
      if (how !== 'process.exit without destroy') child.kill(how);
      await child;
      expect(await until(() => alive(made.pids).length === 0, 3000)).toBe(true);
      expect(listNamespaces().filter((n) => made.namespaces.includes(n))).toEqual([]);
      expect(existsSync(made.tmpDir)).toBe(false);
    });
  }

  it('a test namespace outside a lab, left by a worker killed mid-test, is recognised and swept (and so counted as a leak)', async () => {
    const orphan = await execa(process.execPath, ['--import', 'tsx', `${packageRoot}/test/lab/fixtures/orphan-namespaces.ts`], { reject: false, timeout: 30_000 });
    expect(orphan.signal, String(orphan.stderr)).toBe('SIGKILL');
    const names = JSON.parse(String(orphan.stdout).trim()) as string[];
    expect(names).toHaveLength(2);
    expect(listNamespaces()).toEqual(expect.arrayContaining(names));
    expect(sweepStaleNamespaces()).toEqual(expect.arrayContaining(names));
    expect(listNamespaces().filter((n) => names.includes(n))).toEqual([]);
  });
});
