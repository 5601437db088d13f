import { describe, expect, test } from 'vitest';
import { decodeSockaddr, formatIpv6 } from '../../../src/native/decode-sockaddr.js';
import { splitElements, zipSubflows } from '../../../src/native/decode-subflows.js';
import { decodeTcpInfo } from '../../../src/native/decode-tcp-info.js';

function sockaddrIn(address: string, port: number): Buffer {
  const b = Buffer.alloc(128);
  b.writeUInt16LE(2, 0);
  b.writeUInt16BE(port, 2);
  Buffer.from(address.split('.').map(Number)).copy(b, 4);
  return b;
}

function sockaddrIn6(hex: string, port: number): Buffer {
  const b = Buffer.alloc(128);
  b.writeUInt16LE(10, 0);
  b.writeUInt16BE(port, 2);
  Buffer.from(hex, 'hex').copy(b, 8);
  return b;
}

function tcpInfo(length: number, state: number, rtt: number, bytesSent: bigint): Buffer {
  const b = Buffer.alloc(length);
  b.writeUInt8(state, 0);
  if (length >= 72) b.writeUInt32LE(rtt, 68);
  if (length >= 208) b.writeBigUInt64LE(bytesSent, 200);
  return b;
}

describe('sockaddr', () => {
  test.each([
    ['00000000000000000000000000000001', '::1'],
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['fe800000000000000000000000000000', 'fe80::'],
    ['20010db8000100000000000100000001', '2001:db8:1::1:0:1'],
    ['00000000000000000000ffff0a000001', '::ffff:10.0.0.1'],
    ['20010db8aaaabbbbccccddddeeeeffff', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff'],
  ])('IPv6 %s -> %s', (hex, text) => {
    expect(formatIpv6(Buffer.from(hex, 'hex'))).toBe(text);
  });

  test('IPv4 and IPv6 with ports in network order', () => {
    expect(decodeSockaddr(sockaddrIn('10.1.2.3', 2121))).toEqual({ family: 4, address: '10.1.2.3', port: 2121 });
    expect(decodeSockaddr(sockaddrIn6('00000000000000000000000000000001', 443))).toEqual({ family: 6, address: '::1', port: 443 });
    expect(decodeSockaddr(Buffer.alloc(128))).toBeUndefined(); // AF_UNSPEC
  });
});

describe('subflow arrays', () => {
  test('packed at the kernel stride; a trailing partial element is dropped', () => {
    expect(splitElements(Buffer.alloc(10), 4).map((e) => e.length)).toEqual([4, 4]);
    expect(splitElements(Buffer.alloc(10), 0)).toEqual([]);
  });

  test('MPTCP_FULL_INFO elements: id, addresses, tcp_info', () => {
    const info = Buffer.alloc(264 * 2);
    info.writeUInt32LE(1, 0);
    sockaddrIn('10.0.1.1', 40000).copy(info, 8);
    sockaddrIn('10.0.100.2', 21).copy(info, 136);
    info.writeUInt32LE(2, 264);
    sockaddrIn('10.0.2.1', 40001).copy(info, 264 + 8);
    sockaddrIn('10.0.100.2', 21).copy(info, 264 + 136);
    const tcp = Buffer.concat([tcpInfo(232, 1, 1500, 1000n), tcpInfo(232, 1, 2500, 2000n)]);
    const subflows = zipSubflows(splitElements(info, 264), splitElements(tcp, 232), true);
    expect(subflows).toHaveLength(2);
    expect(subflows[0]).toMatchObject({ id: 1, local: { address: '10.0.1.1', port: 40000 }, remote: { address: '10.0.100.2', port: 21 } });
    expect(subflows[1]).toMatchObject({ id: 2, local: { address: '10.0.2.1' }, tcp: { state: 'established', rttUs: 2500, bytesSent: 2000 } });
  });

  test('MPTCP_SUBFLOW_ADDRS elements have no id; an old short tcp_info lacks bytes_sent', () => {
    const addrs = Buffer.concat([sockaddrIn('10.0.1.1', 1), sockaddrIn('10.0.100.2', 2)]);
    const [subflow] = zipSubflows([addrs], [tcpInfo(104, 1, 900, 0n)], false);
    expect(subflow!.id).toBeUndefined();
    expect(subflow!.tcp).toMatchObject({ length: 104, state: 'established', rttUs: 900 });
    expect(subflow!.tcp!.bytesSent).toBeUndefined();
    expect(subflow!.tcp!.bytesAcked).toBeUndefined();
  });

  test('tcp states by number', () => {
    expect(decodeTcpInfo(tcpInfo(8, 8, 0, 0n)).state).toBe('close-wait');
    expect(decodeTcpInfo(tcpInfo(8, 99, 0, 0n)).state).toBe('unknown');
  });
});
