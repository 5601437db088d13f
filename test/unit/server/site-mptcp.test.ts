import { describe, expect, test } from 'vitest';
import type { ConnectionReport } from '../../../src/net/report.js';
import { HandshakeWitness } from '../../../src/server/handshake-witness.js';
import { parseSiteMptcpReply, SITE_MPTCP_SCHEMA } from '../../../src/protocol/site-mptcp.js';
import { connectionView } from '../../../src/server/site-mptcp-view.js';

const v4 = (address: string, port: number) => ({ family: 4 as const, address, port });

function report(overrides: Partial<ConnectionReport>): ConnectionReport {
  return {
    socket: 'mptcp', state: 'mptcp', stateMethod: 'tcp_is_mptcp',
    local: v4('10.0.0.2', 21), remote: v4('10.0.1.1', 40000),
    subflows: { total: 1, source: 'full_info' }, subflowDetails: [], ...overrides,
  };
}

describe('SITE MPTCP connection view', () => {
  test('an MPTCP connection with two subflows: addresses, checksum from MPTCP_INFO', () => {
    const view = connectionView(
      report({
        subflows: { total: 2, source: 'full_info' },
        subflowDetails: [
          { id: 1, local: v4('10.0.0.2', 21), remote: v4('10.0.1.1', 40000) },
          { id: 2, local: v4('10.0.0.2', 21), remote: v4('10.0.2.1', 40001) },
        ],
        info: { csumEnabled: true, bytesSent: 10, bytesReceived: 20 } as ConnectionReport['info'],
      }),
      { mpCapableReceived: true, evidence: 'socket', listener: 'mptcp' },
      0,
    );
    expect(view).toMatchObject({
      socket: 'mptcp', state: 'mptcp', mpCapableReceived: true, mpCapableEvidence: 'socket',
      local: '10.0.0.2:21', remote: '10.0.1.1:40000', checksum: { enabled: true, source: 'mptcp_info' },
      bytesSent: 10, bytesReceived: 20,
    });
    expect(view.subflows).toEqual({ total: 2, list: [
      { id: 1, local: '10.0.0.2:21', remote: '10.0.1.1:40000' },
      { id: 2, local: '10.0.0.2:21', remote: '10.0.2.1:40001' },
    ] });
  });

  test('a TCP socket after an MP_CAPABLE SYN is a fallback; without one it is tcp; checksum from the sysctl', () => {
    const tcp = report({ socket: 'tcp', state: 'tcp', stateMethod: 'so_protocol' });
    expect(connectionView(tcp, { mpCapableReceived: true, evidence: 'counters', listener: 'mptcp' }, 1)).toMatchObject({
      socket: 'tcp', state: 'fallback', mpCapableReceived: true, mpCapableEvidence: 'counters', checksum: { enabled: true, source: 'sysctl' },
    });
    expect(connectionView(tcp, { mpCapableReceived: false, evidence: 'counters', listener: 'mptcp' }, undefined)).toMatchObject({
      state: 'tcp', mpCapableReceived: false, checksum: { enabled: null, source: 'unknown' },
    });
    // Active mode: we opened it, the question does not apply.
    expect(connectionView(report({}), undefined, 0).mpCapableReceived).toBeNull();
  });

  test('IPv6 addresses are bracketed; replies parse back, other replies are refused', () => {
    const view = connectionView(report({ local: { family: 6, address: 'fd00::2', port: 21 } }), undefined, 0);
    expect(view.local).toBe('[fd00::2]:21');
    const json = JSON.stringify({ schema: SITE_MPTCP_SCHEMA, listener: { socket: 'mptcp' }, control: view, data: null, counters: { since: 'x', deltas: {} } });
    expect(parseSiteMptcpReply(`200 ${json}`).control.local).toBe('[fd00::2]:21');
    expect(() => parseSiteMptcpReply('200 {"schema":"other"}')).toThrow(/not a mptcp-doctor\/site-mptcp\/v1 reply/);
  });
});

describe('handshake witness', () => {
  test('MPCapableFallbackACK increments are attributed to one TCP accept each; MPTCP sockets need no counter', () => {
    let value = 5;
    const witness = new HandshakeWitness(() => ({ MPCapableFallbackACK: value }));
    witness.ensureBaseline();
    expect(witness.observe('tcp')).toEqual({ mpCapableReceived: false, evidence: 'counters', listener: 'mptcp' });
    value = 7; // two connections fell back at the third ACK
    expect(witness.observe('mptcp')).toEqual({ mpCapableReceived: true, evidence: 'socket', listener: 'mptcp' });
    expect(witness.observe('tcp')).toEqual({ mpCapableReceived: true, evidence: 'counters', listener: 'mptcp' });
    expect(witness.observe('tcp')).toEqual({ mpCapableReceived: true, evidence: 'counters', listener: 'mptcp' });
    expect(witness.observe('tcp')).toEqual({ mpCapableReceived: false, evidence: 'counters', listener: 'mptcp' });
  });

  test('increments from before the baseline are not attributed; no counters: no evidence', () => {
    let value = 100;
    const witness = new HandshakeWitness(() => ({ MPCapableFallbackACK: value }));
    witness.ensureBaseline();
    value = 100;
    expect(witness.observe('tcp').mpCapableReceived).toBe(false);
    const blind = new HandshakeWitness(() => undefined);
    expect(blind.observe('tcp')).toEqual({ mpCapableReceived: null, evidence: 'none', listener: 'mptcp' });
  });

  test('a socket accepted on a plain TCP listener: unknown (null), never "no MP_CAPABLE received"', () => {
    const witness = new HandshakeWitness(() => ({ MPCapableFallbackACK: 0 }));
    witness.ensureBaseline();
    expect(witness.observe('tcp', 'tcp')).toEqual({ mpCapableReceived: null, evidence: 'none', listener: 'tcp' });
  });
});
