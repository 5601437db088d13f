// Verdicts that must agree with the counters and with what the far end says, named after what broke:
// a dead second link reported as "no MP_JOIN was attempted", a passive data connection refused a
// join like its control connection yet judged held, and a server that creates its data sockets
// without MPTCP reported as a middlebox stripping the option.
import { describe, expect, test } from 'vitest';
import { startVsftpd } from '../lab/index.js';
import { useLab } from '../lab/vitest.js';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { controlOf, probe, startServe, transferDataOf } from './probe-support.js';

const skip = missingRequirement('probe e2e (trust)', 'root', 'netns', 'tool:vsftpd', 'tool:mptcpize');

describe.skipIf(skip)('joins that fail, said as the counters say', () => {
  requireDist();
  const lab = useLab({ topology: 'routed', links: 2 });

  test('second client link down: join-failed names the failed joins, never "no MP_JOIN was attempted"', async () => {
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2160, files: { 'f.bin': 1 << 20 } });
    await lab().linkDown(2);
    try {
      const { result } = await probe(lab(), ftp.url('f.bin'), ['--mode', 'epsv']);
      expect(result.counters.client.MPJoinSynTxConnectErr).toBeGreaterThan(0);
      const control = controlOf(result);
      expect(control).toMatchObject({ status: 'degraded', cause: 'join-failed' });
      for (const c of result.connections.filter((c) => c.cause === 'join-failed')) {
        expect(c.evidence.join('\n')).toContain('MPJoinSynTxConnectErr');
        expect(c.evidence.join('\n')).not.toContain('no MP_JOIN was attempted');
      }
    } finally {
      await lab().linkUp(2);
      await ftp.stop();
    }
  });

  test('server refusing joins (ip mptcp limits set subflows 0): the passive data connection is judged like the control one, in the kernel\'s words', async () => {
    const ftp = await startVsftpd(lab(), { mptcp: true, port: 2161, files: { 'f.bin': 1 << 20 } });
    await lab().exec('server', ['ip', 'mptcp', 'limits', 'set', 'subflows', '0', 'add_addr_accepted', '0'], { check: true });
    try {
      const { result } = await probe(lab(), ftp.url('f.bin'), ['--mode', 'epsv']);
      expect(controlOf(result)).toMatchObject({ status: 'degraded', cause: 'join-failed' });
      expect(transferDataOf(result)).toMatchObject({ status: 'degraded', cause: 'join-failed' });
      // As root the probe hears the kernel's path-manager events: the refused join is named.
      expect(controlOf(result).kernel?.subflows.some((s) => !s.initial && s.closed)).toBe(true);
      expect(controlOf(result).evidence.join('\n')).toMatch(/kernel event: the join .* was closed/);
    } finally {
      await lab().exec('server', ['ip', 'mptcp', 'limits', 'set', 'subflows', '2', 'add_addr_accepted', '2']);
      await ftp.stop();
    }
  });
});

describe.skipIf(skip)('a far end that creates some sockets without MPTCP', () => {
  requireDist();
  const lab = useLab({ topology: 'routed', links: 1 });

  test('serve after net.mptcp.enabled=0 on its host: control held, data peer-no-mptcp (its passive listener is plain TCP), never option-stripped', async () => {
    const serve = await startServe(lab(), 2162);
    await lab().sysctl('server', { 'net.mptcp.enabled': 0 });
    try {
      const { result } = await probe(lab(), serve.url, ['--mode', 'epsv']);
      expect(controlOf(result)).toMatchObject({ status: 'held', cause: 'none' });
      const data = transferDataOf(result)!;
      expect(data).toMatchObject({ status: 'fell-back', cause: 'peer-no-mptcp' });
      // serve accepted it on a plain TCP listener: it cannot know whether MP_CAPABLE arrived.
      expect(data.server).toMatchObject({ socket: 'tcp', listener: 'tcp', mpCapableReceived: null });
      expect(result.connections.some((c) => c.cause === 'option-stripped')).toBe(false);
    } finally {
      await lab().sysctl('server', { 'net.mptcp.enabled': 1 });
      await serve.stop();
    }
  });

  test('active mode against the same serve: the data connection it opened as plain TCP is peer-no-mptcp, and no "accepted" claim', async () => {
    const serve = await startServe(lab(), 2163);
    await lab().sysctl('server', { 'net.mptcp.enabled': 0 });
    try {
      const { result } = await probe(lab(), serve.url, ['--mode', 'eprt']);
      const data = transferDataOf(result)!;
      expect(data).toMatchObject({ status: 'fell-back', cause: 'peer-no-mptcp' });
      expect(data.evidence.join('\n')).toContain('opened this data connection');
      expect(data.evidence.join('\n')).not.toContain('accepted');
    } finally {
      await lab().sysctl('server', { 'net.mptcp.enabled': 1 });
      await serve.stop();
    }
  });
});
