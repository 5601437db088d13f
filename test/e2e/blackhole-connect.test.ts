// A firewall that drops SYNs carrying MP_CAPABLE (option 30) while plain TCP passes: `connect` must
// name the blackhole (the server does speak MPTCP), and the loopback self-test that then falls back
// because active MPTCP is disabled must say so, instead of blaming rules on lo.
import { describe, expect, test } from 'vitest';
import { startVsftpd } from '../lab/index.js';
import { useLab } from '../lab/vitest.js';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';

const skip = missingRequirement('blackhole e2e', 'root', 'netns', 'tool:vsftpd', 'tool:mptcpize', 'tool:iptables');

describe.skipIf(skip)('a firewall dropping MP_CAPABLE SYNs', () => {
  requireDist();
  const lab = useLab({ topology: 'routed', links: 1 });

  test('connect names the blackhole; the self-test afterwards points at it, not at loopback', async () => {
    const rule = ['FORWARD', '-p', 'tcp', '--syn', '-m', 'tcp', '--tcp-option', '30', '-j', 'DROP'];
    await lab().exec('router', ['iptables', '-A', ...rule], { check: true });
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2150, files: {} });
    try {
      const run = await lab().runNode('client', ['connect', `${lab().addresses.server.v4}:2150`, '--json', '--timeout', '20'], { timeoutMs: 40_000 });
      const json = JSON.parse(run.stdout);
      expect(json.connection.state).toBe('fallback');
      expect(json.cause).toBe('blackhole');
      expect(json.counters.MPCapableSYNTXDrop).toBeGreaterThan(0);
      expect(json.notes.join(' ')).toContain('blackhole');
      expect(json.notes.join(' ')).not.toContain('the server lacks MPTCP');
      expect(run.exitCode).toBe(1);

      const check = await lab().runNode('client', ['check', '--json', '--only', 'selftest.loopback,blackhole']);
      const checks = JSON.parse(check.stdout).checks as Array<{ id: string; status: string; summary: string }>;
      const selftest = checks.find((c) => c.id === 'selftest.loopback')!;
      expect(selftest.status).toBe('fail');
      expect(selftest.summary).toContain('blackhole');
      expect(selftest.summary).not.toContain('strips MPTCP even on loopback');
      const blackhole = checks.find((c) => c.id === 'blackhole')!;
      expect(blackhole.status).toBe('warn');
      expect(blackhole.summary).not.toMatch(/\b0 SYNs\b/);
    } finally {
      await ftp.stop();
      await lab().exec('router', ['iptables', '-D', ...rule]);
    }
  }, 90_000);
});
