// The in-place dump reader (diag-walk.ts) against the full decoder (inet-diag.ts, ulp-info.ts,
// decode-mptcp-info.ts): the same fields from the same bytes, captured from the kernel and made up
// at each length and width the decoders accept, and the same errors.
import { describe, expect, it } from 'vitest';
import { buildConns, snapshotOf } from '../../../src/kernel/conns-builder.js';
import { AddressNames, DumpReader, MptcpInfoFields, SubflowFields } from '../../../src/kernel/diag-walk.js';
import { INET_DIAG_MSG_LENGTH, TCP_STATES } from '../../../src/kernel/inet-diag.js';
import { encodeAttribute, encodeMessage, NetlinkFrameError, NetlinkRequestError, NLMSG_DONE, NLMSG_ERROR, parseMessages, stringAttribute, u32Attribute } from '../../../src/kernel/netlink-frame.js';
import { decodeSocketDump } from '../../../src/kernel/sock-diag.js';
import { decodeMptcpInfo } from '../../../src/native/decode-mptcp-info.js';
import { fixture } from './fixtures.js';

const captures = ['', 'rich-'].flatMap((prefix) =>
  (['mptcp4', 'mptcp6', 'tcp4', 'tcp6'] as const).map((name) => ({ file: `${prefix}${name}.bin`, protocol: name.startsWith('mptcp') ? 'mptcp' as const : 'tcp' as const })));

/** Every socket as the reader sees it, in the decoder's terms. */
function readAll(bytes: Buffer, protocol: 'tcp' | 'mptcp' = 'tcp') {
  const reader = new DumpReader('test dump').start(bytes);
  const names = new AddressNames();
  const subflow = new SubflowFields();
  const info = new MptcpInfoFields();
  const sockets = [];
  while (reader.next()) {
    const hasSubflow = reader.readSubflow(subflow);
    // INET_DIAG_INFO is mptcp_info in an MPTCP dump only (tcp_info in a TCP one).
    const hasInfo = protocol === 'mptcp' && reader.readMptcpInfo(info);
    sockets.push({
      family: reader.family,
      state: TCP_STATES[reader.state],
      local: { address: names.local(reader), port: reader.localPort },
      remote: { address: names.remote(reader), port: reader.remotePort },
      uid: reader.uid,
      inode: reader.inode,
      mptcpSubflow: reader.isMptcpSubflow(),
      subflow: hasSubflow ? { ...subflow } : undefined,
      info: hasInfo ? { ...info } : undefined,
    });
  }
  return { sockets, interrupted: reader.interrupted };
}

/** The decoder's view of the same fields. */
function decodeAll(bytes: Buffer, protocol: 'tcp' | 'mptcp') {
  return decodeSocketDump(bytes, protocol).sockets.map((s) => {
    const m = s.ulp?.mptcp;
    const i = s.mptcpInfo;
    return {
      family: s.family,
      state: s.state,
      local: s.local,
      remote: s.remote,
      uid: s.uid,
      inode: s.inode,
      mptcpSubflow: s.ulp?.name === 'mptcp',
      subflow: m ? { tokenLocal: m.tokenLocal, idLocal: m.idLocal, idRemote: m.idRemote, flags: m.flags } : undefined,
      info: i
        ? {
          subflows: i.subflows, addAddrSignal: i.addAddrSignal, addAddrAccepted: i.addAddrAccepted, flags: i.flags, token: i.token,
          csumEnabled: i.csumEnabled, retransmits: i.retransmits, bytesRetrans: i.bytesRetrans, bytesSent: i.bytesSent,
          bytesReceived: i.bytesReceived, subflowsTotal: i.subflowsTotal,
        }
        : undefined,
    };
  });
}

/** One inet_diag message: IPv4, established, ports 7000 -> 40000, inode 99, with these attributes. */
function socketMessage(attributes: Buffer[], flags = 2): Buffer {
  const msg = Buffer.alloc(INET_DIAG_MSG_LENGTH);
  msg.writeUInt8(2, 0);
  msg.writeUInt8(1, 1);
  msg.writeUInt16BE(7000, 4);
  msg.writeUInt16BE(40000, 6);
  Buffer.from([10, 0, 0, 1]).copy(msg, 8);
  Buffer.from([10, 0, 0, 2]).copy(msg, 24);
  msg.writeUInt32LE(1000, 64);
  msg.writeUInt32LE(99, 68);
  return encodeMessage(20, flags, Buffer.concat([msg, ...attributes]));
}

function done(error = 0): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeInt32LE(error, 0);
  return encodeMessage(NLMSG_DONE, 2, payload);
}

function walk(bytes: Buffer): number {
  const reader = new DumpReader('sock_diag dump of TCP sockets').start(bytes);
  let n = 0;
  while (reader.next()) n += 1;
  return n;
}

describe('the in-place dump reader', () => {
  it.each(captures)('reads $file as the full decoder does, field for field', ({ file, protocol }) => {
    const bytes = fixture(file);
    expect(readAll(bytes, protocol).sockets).toEqual(decodeAll(bytes, protocol));
  });

  it('reads a reply that does not start on a 4-byte boundary in memory the same', () => {
    const bytes = fixture('tcp4.bin');
    const shifted = Buffer.alloc(bytes.length + 1);
    bytes.copy(shifted, 1);
    expect(readAll(shifted.subarray(1)).sockets).toEqual(readAll(bytes).sockets);
  });

  it.each([40, 47, 48, 79, 80, 87, 88, 96, 104])('reads a %i-byte mptcp_info by whole groups, as decodeMptcpInfo', (length) => {
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i++) bytes[i] = (i * 37 + 11) & 0xff;
    // A counter above 2^53 rounds as Number(BigInt) rounds it.
    if (length >= 80) bytes.writeBigUInt64LE(0xfedcba9876543211n, 56);
    const [socket] = readAll(socketMessage([encodeAttribute(2, bytes)]), 'mptcp').sockets;
    const expected = decodeMptcpInfo(bytes);
    expect(socket!.info).toEqual({
      subflows: expected.subflows, addAddrSignal: expected.addAddrSignal, addAddrAccepted: expected.addAddrAccepted, flags: expected.flags,
      token: expected.token, csumEnabled: expected.csumEnabled, retransmits: expected.retransmits, bytesRetrans: expected.bytesRetrans,
      bytesSent: expected.bytesSent, bytesReceived: expected.bytesReceived, subflowsTotal: expected.subflowsTotal,
    });
  });

  it('has no mptcp_info shorter than the 5.9 struct', () => {
    expect(readAll(socketMessage([encodeAttribute(2, Buffer.alloc(39))]), 'mptcp').sockets[0]!.info).toBeUndefined();
  });

  it('reads the ULP name as attributeString does, and the subflow attributes at any width, the last one winning', () => {
    const nested = (...attributes: Buffer[]) => encodeAttribute(0x8000 | 3, Buffer.concat(attributes));
    const width = (type: number, bytes: number[]) => encodeAttribute(type, Buffer.from(bytes));
    const token8 = Buffer.alloc(8);
    token8.writeBigUInt64LE(0x1234n, 0);
    const ulp = (name: Buffer, ...inner: Buffer[]) => encodeAttribute(19, Buffer.concat([name, ...inner]));
    const message = Buffer.concat([
      socketMessage([ulp(stringAttribute(1, 'mptcp'), nested(u32Attribute(2, 5), encodeAttribute(2, token8), width(10, [3]), width(9, [4, 0]), width(8, [1, 2, 3])))]),
      socketMessage([ulp(encodeAttribute(1, Buffer.from('mptcp')), nested(u32Attribute(2, 6)))]),
      socketMessage([ulp(stringAttribute(1, 'mptcpx'), nested(u32Attribute(2, 7)))]),
      socketMessage([ulp(stringAttribute(1, 'tls'))]),
    ]);
    const read = readAll(message).sockets;
    expect(read.map((s) => s.mptcpSubflow)).toEqual([true, true, false, false]);
    // An 8-byte token (which no kernel sends) is read whole; flags of an odd width count as none.
    expect(read[0]!.subflow).toEqual({ tokenLocal: 0x1234, idLocal: 3, idRemote: 4, flags: 0 });
    expect(read[3]!.subflow).toBeUndefined();
    expect(read).toEqual(decodeAll(message, 'tcp'));
  });

  it('skips what is no inet socket: a short message, another family, a no-op', () => {
    const other = socketMessage([]);
    other.writeUInt8(1, 16); // AF_UNIX
    const bytes = Buffer.concat([encodeMessage(20, 2, Buffer.alloc(40)), other, encodeMessage(1, 0, Buffer.alloc(0)), socketMessage([]), done()]);
    expect(walk(bytes)).toBe(1);
  });

  it('stops at NLMSG_DONE and at the ACK, and flags an interrupted dump', () => {
    expect(walk(Buffer.concat([socketMessage([]), done(), socketMessage([])]))).toBe(1);
    expect(walk(Buffer.concat([socketMessage([]), encodeMessage(NLMSG_ERROR, 0, Buffer.alloc(20)), socketMessage([])]))).toBe(1);
    const reader = new DumpReader('x').start(Buffer.concat([socketMessage([], 2 | 0x10), done()]));
    while (reader.next());
    expect(reader.interrupted).toBe(true);
  });

  it('throws what the kernel refused, naming the dump, and a message that claims more bytes than there are', () => {
    const error = Buffer.alloc(20);
    error.writeInt32LE(-2, 0);
    expect(() => walk(encodeMessage(NLMSG_ERROR, 0, error))).toThrow(new NetlinkRequestError(-2, 'ENOENT', 'sock_diag dump of TCP sockets'));
    expect(() => walk(Buffer.concat([socketMessage([]), done(-16)]))).toThrow(/sock_diag dump of TCP sockets: EBUSY/);
    const truncated = socketMessage([]);
    truncated.writeUInt32LE(500, 0);
    expect(() => walk(truncated)).toThrow(NetlinkFrameError);
  });

  it('names each distinct address once', () => {
    const names = new AddressNames();
    const reader = new DumpReader('x').start(Buffer.concat([fixture('tcp4.bin'), fixture('tcp6.bin')]));
    const seen = new Set<number>();
    while (reader.next()) seen.add(names.localIndex(reader));
    expect(names.names.length).toBe(new Set(names.names).size);
    expect(seen.size).toBeLessThanOrEqual(names.names.length);
  });
});

describe('the model from a dump that arrives in pieces', () => {
  /** Each message a piece of its own: the smallest pieces a streamed dump can come in. */
  const pieces = (bytes: Buffer) => parseMessages(bytes).map((m) => {
    const start = m.payload.byteOffset - bytes.byteOffset - 16;
    return bytes.subarray(start, start + 16 + m.payload.length);
  });

  it('is the model of the whole replies', () => {
    const owners = new Map([[0, [{ pid: 1, command: 'x' }]]]);
    const whole = buildConns({ mptcp: [fixture('rich-mptcp4.bin'), fixture('rich-mptcp6.bin')], tcp: [fixture('rich-tcp4.bin'), fixture('rich-tcp6.bin')], owners });
    const split = buildConns({
      mptcp: [...pieces(fixture('rich-mptcp4.bin')), ...pieces(fixture('rich-mptcp6.bin'))],
      tcp: [...pieces(fixture('rich-tcp4.bin')), ...pieces(fixture('rich-tcp6.bin'))],
      owners,
    });
    expect(pieces(fixture('rich-tcp4.bin')).length).toBeGreaterThan(5);
    expect(JSON.stringify(snapshotOf(split))).toBe(JSON.stringify(snapshotOf(whole)));
  });
});
