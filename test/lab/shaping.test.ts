// tbf shaping on a lab link holds a single TCP flow to its rate; what a test changes on the paths
// (shaping, a link down) is undone after it, so the next test starts on clean paths.
import { describe, expect, it } from 'vitest';
import { missingRequirement } from '../support/gate.js';
import { send, sinkLines, startSink } from './helpers.js';
import { useLab } from './vitest.js';

const skip = missingRequirement('lab shaping', 'root', 'netns', 'tool:ip', 'tool:tc');

describe.skipIf(skip)('lab: tbf shaping', () => {
  const lab = useLab({ topology: 'routed', links: 1, ipv6: false });
  const qdisc = async () => (await lab().exec('router', ['tc', 'qdisc', 'show', 'dev', lab().link(1).peerIf], { check: true })).stdout;

  it('holds a single TCP flow within 15% of 20 Mbit/s', async () => {
    await lab().shape(1, { rateMbit: 20 });
    const sink = await startSink(lab(), 5101, ['--tcp']);
    try {
      const bytes = 5_000_000; // 2 s at 20 Mbit/s
      const result = await send(lab(), ['--host', lab().addresses.server.v4, '--port', '5101', '--tcp', '--bytes', String(bytes)]);
      expect(result.answer).toBe(`ok ${bytes}`);
      await sink.waitForOutput('"bytes"', 5000);
      const [line] = sinkLines(sink);
      console.log(`tbf 20 Mbit/s: measured ${line!.mbit.toFixed(2)} Mbit/s over ${line!.seconds.toFixed(2)} s`);
      expect(line!.mbit).toBeGreaterThan(17);
      expect(line!.mbit).toBeLessThan(23);
    } finally {
      await sink.stop();
    }
  });

  it('unshape removes the limit', async () => {
    await lab().shape(1, { rateMbit: 20 });
    expect(await qdisc()).toContain('tbf');
    await lab().unshape(1);
    expect(await qdisc()).not.toContain('tbf');
  });

  it('restorePaths: a link shaped and taken down is up, unshaped and reachable again', async () => {
    await lab().shape(1, { rateMbit: 20 });
    await lab().linkDown(1);
    await lab().restorePaths();
    expect(await qdisc()).not.toContain('tbf');
    const link = await lab().exec('client', ['ip', '-o', 'link', 'show', lab().link(1).clientIf], { check: true });
    expect(link.stdout).toContain('state UP');
    await lab().warmUp();
  });

  // These two run in order: the first leaves its shaping and a link down, as a failing test would.
  it('a test that leaves link 1 shaped and down', async () => {
    await lab().shape(1, { rateMbit: 20 });
    await lab().linkDown(1);
  });

  it('the next test starts on the paths as built (useLab restores them after each test)', async () => {
    expect(await qdisc()).not.toContain('tbf');
    await lab().warmUp();
  });
});
