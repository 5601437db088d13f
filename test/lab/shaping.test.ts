// tbf shaping on a lab link holds a single TCP flow to its rate.
import { describe, expect, it } from 'vitest';
import { missingRequirement } from '../support/gate.js';
import { send, sinkLines, startSink } from './helpers.js';
import { useLab } from './vitest.js';

const skip = missingRequirement('lab shaping', 'root', 'netns', 'tool:ip', 'tool:tc');

describe.skipIf(skip)('lab: tbf shaping', () => {
  const lab = useLab({ topology: 'routed', links: 1, ipv6: false });

  it('holds a single TCP flow within 15% of 20 Mbit/s', async () => {
    await lab().shape(1, { rateMbit: 20 });
    const sink = await startSink(lab(), 5101, ['--tcp']);
    const bytes = 5_000_000; // 2 s at 20 Mbit/s
    const result = await send(lab(), ['--host', lab().addresses.server.v4, '--port', '5101', '--tcp', '--bytes', String(bytes)]);
    expect(result.answer).toBe(`ok ${bytes}`);
    await sink.waitForOutput('"bytes"', 5000);
    const [line] = sinkLines(sink);
    console.log(`tbf 20 Mbit/s: measured ${line!.mbit.toFixed(2)} Mbit/s over ${line!.seconds.toFixed(2)} s`);
    expect(line!.mbit).toBeGreaterThan(17);
    expect(line!.mbit).toBeLessThan(23);
    await sink.stop();
  });

  it('unshape removes the limit', async () => {
    await lab().unshape(1);
    const tc = await lab().exec('router', ['tc', 'qdisc', 'show', 'dev', lab().link(1).peerIf], { check: true });
    expect(tc.stdout).not.toContain('tbf');
  });
});
