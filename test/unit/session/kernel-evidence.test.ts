// The kernel's events as verdict evidence: a join the kernel closed on its own counts, a subflow
// that simply ended with its connection does not (it once made a healthy short transfer look like
// join-failed).
import { expect, test } from 'vitest';
import { buildConnectionTimelines } from '../../../src/kernel/connection-timelines.js';
import type { MptcpEvent } from '../../../src/kernel/mptcp-events.js';
import { kernelEvidence } from '../../../src/session/kernel-events.js';

const token = 0x1234;
const first = { localAddress: '10.1.1.1', localPort: 40000, remoteAddress: '10.1.100.2', remotePort: 21 };
const join = { localAddress: '10.1.2.1', localPort: 40001, remoteAddress: '10.1.100.2', remotePort: 21 };

function evidence(events: Array<Partial<MptcpEvent> & { type: MptcpEvent['type'] }>) {
  const timeline = buildConnectionTimelines(events.map((e) => ({ token, ...e }) as MptcpEvent), [token]).get(token)!;
  return kernelEvidence(timeline);
}

test('a join that ends with its connection is not a closed join', () => {
  const result = evidence([
    { type: 'created', ...first },
    { type: 'established', ...first },
    { type: 'sub_established', ...join },
    { type: 'closed' },
  ]);
  expect(result.subflows.map((s) => [s.initial, s.established, s.closed])).toEqual([[true, true, false], [false, true, false]]);
});

test('a join the kernel closed before the connection ended is closed, with how it ended', () => {
  const result = evidence([
    { type: 'created', ...first },
    { type: 'established', ...first },
    { type: 'sub_established', ...join },
    { type: 'sub_closed', ...join, error: 110 },
    { type: 'closed' },
  ]);
  expect(result.subflows[1]).toMatchObject({ initial: false, closed: true, error: 'ETIMEDOUT' });
  expect(result.subflows[1]!.end).toContain('timed out');
});
