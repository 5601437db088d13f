// What the connection tracker makes of a kernel report and of the FTP dialogue: the subflows that
// count (handshake done, not closed), per-subflow progress, and the replies that are anomalies.
// runSession's test (test/session/run-session.test.ts) drives it over real sockets.
import { describe, expect, test } from 'vitest';
import type { ConnectionReport } from '../../../src/net/report.js';
import { ConnectionTracker, sampleOf } from '../../../src/session/tracker.js';

type Detail = ConnectionReport['subflowDetails'][number];
const subflow = (address: string, port: number, state: string, received: number, acked: number): Detail =>
  ({ local: { family: 4, address, port }, tcp: { state, bytesReceived: received, bytesAcked: acked } }) as unknown as Detail;

function report(state: ConnectionReport['state'], details: Detail[], total = details.length): ConnectionReport {
  return { socket: 'mptcp', state, stateMethod: 'tcp_is_mptcp', subflows: { total, source: 'full_info' }, subflowDetails: details } as ConnectionReport;
}

describe('sampleOf', () => {
  test('subflows still in their handshake or closed are not counted, but are reported as not carrying', () => {
    const sample = sampleOf(
      report('mptcp', [
        subflow('10.0.0.1', 40000, 'established', 1000, 20),
        subflow('10.0.1.1', 40001, 'syn-sent', 0, 0),
        subflow('10.0.2.1', 40002, 'close', 5, 0),
      ]),
      'transfer',
      250,
    );
    expect(sample).toEqual({
      phase: 'transfer',
      atMs: 250,
      state: 'mptcp',
      subflows: 1,
      localAddresses: ['10.0.0.1'],
      progress: { '10.0.0.1:40000': 1020 },
      notCarrying: 2,
    });
  });

  test('IPv6 progress keys are bracketed; a fallback counts one subflow whatever the list says', () => {
    const v6 = { local: { family: 6, address: 'fd00::1', port: 40000 }, tcp: { state: 'established', bytesReceived: 7, bytesAcked: 0 } } as unknown as Detail;
    expect(sampleOf(report('mptcp', [v6]), 'end', 1).progress).toEqual({ '[fd00::1]:40000': 7 });
    const fallback = sampleOf(report('fallback', [subflow('10.0.0.1', 1, 'established', 0, 0), subflow('10.0.1.1', 2, 'established', 0, 0)]), 'end', 1);
    expect(fallback.subflows).toBe(1);
    expect(fallback.notCarrying).toBeUndefined();
  });

  test('no subflow details (an old kernel): the total from MPTCP_INFO', () => {
    expect(sampleOf(report('mptcp', [], 2), 'login', 3).subflows).toBe(2);
  });
});

describe('ConnectionTracker dialogue', () => {
  test('the greeting, notes, and 500/501 to a core command as anomalies (never to an extension)', () => {
    const tracker = new ConnectionTracker('epsv');
    const observer = tracker.observer();
    const reply = (code: number, message: string) => ({ code, lines: [`${code} ${message}`], message });
    expect(tracker.heardReply).toBe(false);
    observer.onReply!(reply(220, 'hello'));
    observer.onReply!(reply(331, 'password'));
    expect(tracker.greeting).toBe('hello');
    expect(tracker.heardReply).toBe(true);
    observer.onCommand!('FEAT', reply(500, 'unknown'));
    observer.onCommand!('SITE MPTCP', reply(500, 'unknown'));
    observer.onCommand!('TYPE I', reply(501, 'syntax error'));
    observer.onCommand!('NOOP', reply(200, 'ok'));
    expect(tracker.anomalies.map((a) => [a.command, a.code, a.text])).toEqual([['TYPE', 501, 'syntax error']]);
    observer.onNote!('EPSV refused: using PASV');
    expect(tracker.notes).toEqual(['EPSV refused: using PASV']);
    expect(tracker.control).toBeUndefined();
  });
});
