// sock_diag dumps captured from the kernel (fixtures/capture.sh) while scenario.py held its sockets:
// MPTCP listeners 127.0.0.1:7000 and [::1]:7001 (v6only), plain TCP listener 127.0.0.1:7002; an
// MPTCP pair on :7000 with a second subflow from 127.0.0.2, a plain TCP client on :7000, an MPTCP
// client to :7002, an IPv6 MPTCP pair on :7001.
import { describe, expect, it } from 'vitest';
import { buildConns, snapshotOf } from '../../../src/kernel/conns-builder.js';
import { peerMatcher, ConnsFilterError, type ConnsFilter, type ConnsSnapshot } from '../../../src/kernel/host-connections.js';
import { decodeDiagMessage, encodeDumpRequest, INET_DIAG_MSG_LENGTH } from '../../../src/kernel/inet-diag.js';
import { encodeMessage, parseMessages, encodeAttribute } from '../../../src/kernel/netlink-frame.js';
import { decodeSocketDump } from '../../../src/kernel/sock-diag.js';
import { fixture } from './fixtures.js';

const mptcp = [...decodeSocketDump(fixture('mptcp4.bin'), 'mptcp').sockets, ...decodeSocketDump(fixture('mptcp6.bin'), 'mptcp').sockets];
const tcp = [...decodeSocketDump(fixture('tcp4.bin'), 'tcp').sockets, ...decodeSocketDump(fixture('tcp6.bin'), 'tcp').sockets];
const owner = { pid: 4242, command: 'scenario' };
const owners = new Map([...mptcp, ...tcp].filter((s) => s.inode !== 0).map((s) => [s.inode, [owner]]));
const model = buildConns({ mptcp: [fixture('mptcp4.bin'), fixture('mptcp6.bin')], tcp: [fixture('tcp4.bin'), fixture('tcp6.bin')], owners });
const snapshot: ConnsSnapshot = snapshotOf(model);
const filterSnapshot = (_: ConnsSnapshot, filter: ConnsFilter) => snapshotOf(model, filter);

describe('sock_diag dumps from the kernel', () => {
  it('decodes every socket with state, addresses, inode, and mptcp_info or ULP info', () => {
    expect(mptcp.map((s) => s.state).sort()).toEqual(['established', 'established', 'established', 'established', 'established', 'listen', 'listen']);
    expect(mptcp.every((s) => s.mptcpInfo !== undefined && s.mptcpInfo.length === 96)).toBe(true);
    expect(mptcp.every((s) => s.inode > 0)).toBe(true);
    const subflows = tcp.filter((s) => s.ulp?.name === 'mptcp' && s.state !== 'listen');
    // Both ends of the IPv4 pair and of its join, the MPTCP client against the plain listener (a
    // subflow that fell back), both ends of the IPv6 pair.
    expect(subflows).toHaveLength(7);
    expect(subflows.filter((s) => s.ulp!.mptcp!.flagLetters.includes('j'))).toHaveLength(1);
    expect(tcp.find((s) => s.state === 'listen' && s.local.port === 7002)!.ulp).toBeUndefined();
  });

  it('asks for MPTCP through INET_DIAG_REQ_PROTOCOL, with the 8-bit protocol left 0', () => {
    const request = parseMessages(encodeDumpRequest({ family: 6, protocol: 'mptcp', info: true }))[0]!;
    expect(request.type).toBe(20);
    expect([...request.payload.subarray(0, 3)]).toEqual([10, 0, 2]);
    expect(request.payload.readUInt16LE(56 + 2)).toBe(3);
    expect(request.payload.readUInt32LE(56 + 4)).toBe(262);
    const tcpRequest = parseMessages(encodeDumpRequest({ family: 4, protocol: 'tcp' }))[0]!;
    expect(tcpRequest.payload.length).toBe(56);
    expect(tcpRequest.payload.readUInt8(1)).toBe(6);
  });

  it('decodes by length: an old kernel\'s 40-byte mptcp_info, and skips a shorter one', () => {
    const base = Buffer.alloc(INET_DIAG_MSG_LENGTH);
    base.writeUInt8(2, 0);
    base.writeUInt8(1, 1);
    const info40 = Buffer.alloc(40);
    info40.writeUInt32LE(0xabcd, 12);
    const old = decodeDiagMessage(parseMessages(encodeMessage(20, 2, Buffer.concat([base, encodeAttribute(2, info40)])))[0]!, 'mptcp')!;
    expect(old.mptcpInfo).toMatchObject({ token: 0xabcd, length: 40 });
    expect(old.mptcpInfo!.bytesSent).toBeUndefined();
    const short = decodeDiagMessage(parseMessages(encodeMessage(20, 2, Buffer.concat([base, encodeAttribute(2, Buffer.alloc(20))])))[0]!, 'mptcp')!;
    expect(short.mptcpInfo).toBeUndefined();
    expect(decodeDiagMessage(parseMessages(encodeMessage(20, 2, Buffer.alloc(40)))[0]!, 'mptcp')).toBeUndefined();
  });
});

describe('the host-wide model', () => {
  const listener = (id: string) => snapshot.listeners.find((l) => l.id === id)!;

  it('reports the MPTCP listeners, the plain TCP one, and what each accepted', () => {
    expect(snapshot.listeners.map((l) => l.id).sort()).toEqual(['mptcp 127.0.0.1:7000', 'mptcp [::1]:7001', 'tcp 127.0.0.1:7002']);
    expect(listener('mptcp 127.0.0.1:7000')).toMatchObject({ connections: 2, mptcp: 1, fallbacks: 1, handshakeFallbacks: 1, subflows: 2 });
    expect(listener('mptcp [::1]:7001')).toMatchObject({ connections: 1, mptcp: 1, fallbacks: 0, subflows: 1 });
    expect(listener('tcp 127.0.0.1:7002')).toMatchObject({ kind: 'tcp', connections: 1 });
  });

  it('ties both subflows of the joined connection to it, by token', () => {
    const joined = snapshot.connections.filter((c) => c.subflows.length === 2);
    expect(joined).toHaveLength(2);
    for (const c of joined) {
      expect(c.subflowCount).toBe(2);
      expect(c.subflows.some((s) => s.join)).toBe(true);
      expect(c.subflows.map((s) => s.local.address).sort()).toEqual(c.accepted ? ['127.0.0.1', '127.0.0.1'] : ['127.0.0.1', '127.0.0.2']);
    }
  });

  it('tells the two fallbacks apart: plain TCP accepted on the MPTCP listener, MPTCP client against a plain server', () => {
    const plain = snapshot.connections.find((c) => c.socket === 'tcp')!;
    expect(plain).toMatchObject({ state: 'fallback', fallback: 'handshake', accepted: true, listener: 'mptcp 127.0.0.1:7000', subflowCount: 0 });
    const client = snapshot.connections.find((c) => c.socket === 'mptcp' && c.remote.port === 7002)!;
    expect(client).toMatchObject({ state: 'fallback', fallback: 'handshake', accepted: false, flags: ['fallback'] });
    expect(snapshot.totals).toMatchObject({ connections: 6, mptcp: 4, fallbacks: 2, mptcpListeners: 2, tcpListeners: 1 });
  });

  it('names the program of every socket and sums it per program', () => {
    expect(snapshot.connections.every((c) => c.processes[0]?.command === 'scenario')).toBe(true);
    expect(snapshot.processes).toEqual([expect.objectContaining({ command: 'scenario', pids: [4242], connections: 6, fallbacks: 2 })]);
    expect(snapshot.processes[0]!.listeners).toHaveLength(3);
  });

  it('filters by port, pid, peer and state, recounting what is left', () => {
    const byPort = filterSnapshot(snapshot, { port: 7000 });
    expect(byPort.listeners.map((l) => l.id)).toEqual(['mptcp 127.0.0.1:7000']);
    // Both ends of the MPTCP pair and the plain TCP socket accepted on 7000 (the plain TCP client
    // socket is no MPTCP connection).
    expect(byPort.totals.connections).toBe(3);
    expect(filterSnapshot(snapshot, { state: 'fallback' }).connections.every((c) => c.state === 'fallback')).toBe(true);
    expect(filterSnapshot(snapshot, { state: 'fallback' }).listeners.map((l) => l.id)).toEqual(['mptcp 127.0.0.1:7000']);
    expect(filterSnapshot(snapshot, { peer: '::1' }).totals.connections).toBe(2);
    expect(filterSnapshot(snapshot, { peer: '127.0.0.0/8' }).totals.connections).toBe(4);
    expect(filterSnapshot(snapshot, { pid: 1 }).totals.connections).toBe(0);
  });

  it('matches IPv4 peers seen through an IPv6 socket, and refuses what is not an address', () => {
    expect(peerMatcher('10.0.0.0/8')('::ffff:10.1.2.3')).toBe(true);
    expect(peerMatcher('10.0.0.0/8')('11.0.0.1')).toBe(false);
    expect(() => peerMatcher('example.org')).toThrow(ConnsFilterError);
    expect(() => peerMatcher('10.0.0.0/33')).toThrow(ConnsFilterError);
  });
});
