// Per-connection timelines built from events captured from Linux 6.18:
// - events.bin (capture.sh, one namespace over loopback): an IPv4 pair whose second subflow joins
//   from 127.0.0.2 and is later killed with `ss -K` on the server (the client sees the peer's
//   reset), a signal endpoint 127.0.0.3 announced (the joins to it are refused: nothing listens
//   there) and removed, an IPv6 pair;
// - events-lab.bin (capture-lab.ts, the client of a routed lab with two links): a download whose
//   joins over link 2 are refused by the server's limits (subflows 0), then an upload whose link 2
//   subflow dies when link 2 goes down (tcp_retries2 3).
import { describe, expect, it } from 'vitest';
import {
  buildConnectionTimelines, describeSubflowEnd, type ConnectionTimeline, type TimelineInput,
} from '../../../src/kernel/connection-timelines.js';
import { decodeGetFamilyReply } from '../../../src/kernel/generic-netlink.js';
import { decodeMptcpEvent, type MptcpEvent } from '../../../src/kernel/mptcp-events.js';
import { parseMessages } from '../../../src/kernel/netlink-frame.js';
import { fixture } from './fixtures.js';

const family = decodeGetFamilyReply(fixture('genl-family-mptcp_pm.bin'), 'mptcp_pm');
const decode = (name: string): MptcpEvent[] => parseMessages(fixture(name)).map((m) => decodeMptcpEvent(m, family.id)).filter((e): e is MptcpEvent => e !== undefined);
const loopback = decode('events.bin');
const lab = decode('events-lab.bin');

/** The token of the connection whose first subflow runs local port -> remote port. */
function tokenOf(events: MptcpEvent[], localPort: number, remotePort: number): number {
  const created = events.find((e) => e.type === 'created' && e.localPort === localPort && e.remotePort === remotePort);
  if (!created?.token) throw new Error(`no connection ${localPort} -> ${remotePort} in the fixture`);
  return created.token;
}

/** A timeline reduced to what a reader would check: subflows with how they ended, peer addresses, closed. */
function summary(t: ConnectionTimeline) {
  return {
    subflows: t.subflows.map((s) => [s.id, s.initial ? 'initial' : 'join', s.established, s.end ?? 'open']),
    peerAddresses: t.peerAddresses.map((a) => [a.id, a.address, a.removed]),
    established: t.established,
    closed: t.closed,
  };
}

const clientV4 = tokenOf(loopback, 43670, 7000);
const serverV4 = tokenOf(loopback, 7000, 43670);
const refusedControl = tokenOf(lab, 46666, 2400);
const refusedData = tokenOf(lab, 47886, 30049);
const uploadData = tokenOf(lab, 48614, 30025);

describe('buildConnectionTimelines on captured events', () => {
  const cases: Array<{ name: string; events: MptcpEvent[]; token: number; expected: ReturnType<typeof summary> }> = [
    {
      name: 'client of the loopback pair: a join reset by the peer with its reason, a refused join to the announced address',
      events: loopback,
      token: clientV4,
      expected: {
        subflows: [
          ['127.0.0.1:43670 -> 127.0.0.1:7000', 'initial', true, 'closed with the connection'],
          ['127.0.0.2:60787 -> 127.0.0.1:7000', 'join', true, 'reset by the peer: unspecified error (ECONNRESET)'],
          ['127.0.0.1:46457 -> 127.0.0.3:7000', 'join', false, 'refused (ECONNREFUSED)'],
        ],
        peerAddresses: [[2, '127.0.0.3', true]],
        established: true,
        closed: true,
      },
    },
    {
      name: 'server of the same pair: the subflow killed here with ss -K',
      events: loopback,
      token: serverV4,
      expected: {
        subflows: [
          ['127.0.0.1:7000 -> 127.0.0.1:43670', 'initial', true, 'closed with the connection'],
          ['127.0.0.1:7000 -> 127.0.0.2:60787', 'join', true, 'aborted on this host (ECONNABORTED)'],
          ['127.0.0.1:44879 -> 127.0.0.3:43670', 'join', false, 'refused (ECONNREFUSED)'],
        ],
        peerAddresses: [[2, '127.0.0.3', true]],
        established: true,
        closed: true,
      },
    },
    {
      name: 'control connection whose join the server refused (limits): closed at once, no word why',
      events: lab,
      token: refusedControl,
      expected: {
        subflows: [
          ['10.1.1.1:46666 -> 10.1.100.2:2400', 'initial', true, 'closed with the connection'],
          ['10.1.2.1:56263 -> 10.1.100.2:2400', 'join', true, 'closed, with neither an error nor a reason from the peer'],
        ],
        peerAddresses: [],
        established: true,
        closed: true,
      },
    },
    {
      name: 'data connection of the same download: the same refusal',
      events: lab,
      token: refusedData,
      expected: {
        subflows: [
          ['10.1.1.1:47886 -> 10.1.100.2:30049', 'initial', true, 'closed with the connection'],
          ['10.1.2.1:44489 -> 10.1.100.2:30049', 'join', true, 'closed, with neither an error nor a reason from the peer'],
        ],
        peerAddresses: [],
        established: true,
        closed: true,
      },
    },
    {
      name: 'upload whose link 2 went down: that subflow failed with the unreachable error of its last retransmission',
      events: lab,
      token: uploadData,
      expected: {
        subflows: [
          ['10.1.1.1:48614 -> 10.1.100.2:30025', 'initial', true, 'closed with the connection'],
          ['10.1.2.1:32937 -> 10.1.100.2:30025', 'join', true, 'network unreachable (ENETUNREACH)'],
        ],
        peerAddresses: [],
        established: true,
        closed: true,
      },
    },
  ];

  it.each(cases)('$name', ({ events, token, expected }) => {
    const timeline = buildConnectionTimelines(events, [token]).get(token)!;
    expect(summary(timeline)).toEqual(expected);
    expect(timeline.eventsMayBeMissing).toBe(false);
  });

  it('keeps the error and reset reason on the subflow and on its entry', () => {
    const timeline = buildConnectionTimelines(loopback, [clientV4]).get(clientV4)!;
    const reset = timeline.subflows.find((s) => s.local.address === '127.0.0.2')!;
    expect(reset).toMatchObject({ error: 104, errorName: 'ECONNRESET', resetReason: 0, resetReasonText: 'unspecified error', resetTransient: false, localId: 1, remoteId: 0 });
    const entry = timeline.entries.find((e) => e.type === 'sub_closed' && e.subflow === reset.id)!;
    expect(entry).toMatchObject({ error: 104, resetReason: 0, resetReasonText: 'unspecified error' });
    expect(timeline.entries.map((e) => e.type)).toEqual(['created', 'established', 'sub_established', 'announced', 'sub_closed', 'removed', 'sub_closed', 'closed']);
    expect(timeline.entries.find((e) => e.type === 'removed')!.peerAddress).toEqual({ id: 2, address: '127.0.0.3', port: 7000 });
  });

  it('returns one timeline per token asked for, an empty one for a token no event named, and nothing for others', () => {
    const timelines = buildConnectionTimelines(loopback, new Set([serverV4, 0xdeadbeef]));
    expect([...timelines.keys()]).toEqual([serverV4, 0xdeadbeef]);
    expect(timelines.get(serverV4)!.serverSide).toBe(true);
    expect(timelines.get(0xdeadbeef)).toMatchObject({ tokenHex: 'deadbeef', entries: [], subflows: [], established: false, closed: false });
  });
});

describe('buildConnectionTimelines on subscription records', () => {
  // The records a subscription yields: each event with the time its batch was read, and losses.
  const records: TimelineInput[] = lab
    .filter((e) => e.token === uploadData)
    .map((event, i) => ({ kind: 'event' as const, event, receivedAt: 1_000 + i * 10 }));

  it('dates establishment and end of each subflow', () => {
    const timeline = buildConnectionTimelines(records, [uploadData]).get(uploadData)!;
    expect(timeline.subflows.map((s) => [s.establishedAt, s.closedAt])).toEqual([[1_010, 1_040], [1_020, 1_030]]);
    expect(timeline.entries.every((e) => e.at !== undefined)).toBe(true);
    expect(timeline.eventsMayBeMissing).toBe(false);
  });

  it('says events may be missing when the kernel reported a loss', () => {
    const lossy: TimelineInput[] = [...records.slice(0, 2), { kind: 'loss', overflows: 1, receivedAt: 1_015 }, ...records.slice(2)];
    expect(buildConnectionTimelines(lossy, [uploadData, refusedData]).get(refusedData)!.eventsMayBeMissing).toBe(true);
  });
});

describe('describeSubflowEnd', () => {
  it.each([
    [{ error: 104, resetReason: 6 }, true, 'reset by the peer: middlebox interference (ECONNRESET)'],
    [{ resetReason: 5, resetTransient: true }, true, 'reset by the peer: unacceptable performance (transient)'],
    [{ error: 110 }, true, 'timed out: the path stopped answering (ETIMEDOUT)'],
    [{ error: 113 }, true, 'host unreachable (EHOSTUNREACH)'],
    [{ error: 42 }, true, 'failed (errno 42)'],
    [{}, true, 'closed, with neither an error nor a reason from the peer'],
    [{}, false, 'closed before it was established'],
  ])('%j (established %s): %s', (end, established, words) => {
    expect(describeSubflowEnd(end, established)).toBe(words);
  });
});
