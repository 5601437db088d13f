// struct mptcp_info at each historical size gives exactly the fields that size holds.
import { describe, expect, test } from 'vitest';
import { decodeMptcpInfo, MptcpInfoTooShortError, totalSubflows } from '../../../src/native/decode-mptcp-info.js';

/** A 6.10-layout struct (96 bytes) with a distinct value in every field, plus an unknown tail. */
function fullStruct(extra = 0): Buffer {
  const b = Buffer.alloc(96 + extra, 0xee);
  b.fill(0, 0, 96);
  b.writeUInt8(1, 0); // subflows
  b.writeUInt8(2, 1); // add_addr_signal
  b.writeUInt8(3, 2); // add_addr_accepted
  b.writeUInt8(4, 3); // subflows_max
  b.writeUInt8(5, 4); // add_addr_signal_max
  b.writeUInt8(6, 5); // add_addr_accepted_max
  b.writeUInt32LE(0b10, 8); // flags: REMOTE_KEY_RECEIVED
  b.writeUInt32LE(0xdeadbeef, 12); // token
  b.writeBigUInt64LE(0xfedcba9876543210n, 16); // write_seq
  b.writeBigUInt64LE(11n, 24); // snd_una
  b.writeBigUInt64LE(12n, 32); // rcv_nxt
  b.writeUInt8(7, 40); // local_addr_used
  b.writeUInt8(8, 41); // local_addr_max
  b.writeUInt8(1, 42); // csum_enabled
  b.writeUInt32LE(9, 44); // retransmits
  b.writeBigUInt64LE(100n, 48); // bytes_retrans
  b.writeBigUInt64LE(200n, 56); // bytes_sent
  b.writeBigUInt64LE(300n, 64); // bytes_received
  b.writeBigUInt64LE(400n, 72); // bytes_acked
  b.writeUInt8(2, 80); // subflows_total
  b.writeUInt32LE(13, 84); // last_data_sent
  b.writeUInt32LE(14, 88); // last_data_recv
  b.writeUInt32LE(15, 92); // last_ack_recv
  return b;
}

const base = {
  subflows: 1, addAddrSignal: 2, addAddrAccepted: 3, subflowsMax: 4, addAddrSignalMax: 5, addAddrAcceptedMax: 6,
  flags: 2, fallback: false, remoteKeyReceived: true, token: 0xdeadbeef,
  writeSeq: '18364758544493064720', sndUna: '11', rcvNxt: '12',
};
const v5_14 = { localAddrUsed: 7, localAddrMax: 8, csumEnabled: true };
const v6_5 = { retransmits: 9, bytesRetrans: 100, bytesSent: 200, bytesReceived: 300, bytesAcked: 400 };
const v6_8 = { subflowsTotal: 2 };
const v6_10 = { lastDataSentMs: 13, lastDataRecvMs: 14, lastAckRecvMs: 15 };

describe('decodeMptcpInfo by the length the kernel returned', () => {
  test.each([
    ['5.9', 40, base],
    ['5.14', 48, { ...base, ...v5_14 }],
    ['6.5', 80, { ...base, ...v5_14, ...v6_5 }],
    ['6.8', 88, { ...base, ...v5_14, ...v6_5, ...v6_8 }],
    ['6.10', 96, { ...base, ...v5_14, ...v6_5, ...v6_8, ...v6_10 }],
  ])('kernel %s (%i bytes)', (_kernel, length, expected) => {
    expect(decodeMptcpInfo(fullStruct().subarray(0, length))).toStrictEqual({ length, ...expected });
  });

  test('a longer struct from a newer kernel: known fields decoded, unknown tail ignored', () => {
    const decoded = decodeMptcpInfo(fullStruct(32));
    expect(decoded).toStrictEqual({ length: 128, ...base, ...v5_14, ...v6_5, ...v6_8, ...v6_10 });
  });

  test('lengths between versions keep only the groups the kernel returned whole', () => {
    expect(decodeMptcpInfo(fullStruct().subarray(0, 46))).toStrictEqual({ length: 46, ...base });
    expect(decodeMptcpInfo(fullStruct().subarray(0, 84))).toStrictEqual({ length: 84, ...base, ...v5_14, ...v6_5 });
  });

  test('shorter than the 5.9 base is an error, not garbage', () => {
    expect(() => decodeMptcpInfo(Buffer.alloc(39))).toThrow(MptcpInfoTooShortError);
  });

  test('FALLBACK flag and subflow totals', () => {
    const b = fullStruct();
    b.writeUInt32LE(0b01, 8);
    const old = decodeMptcpInfo(b.subarray(0, 80));
    expect(old.fallback).toBe(true);
    expect(old.remoteKeyReceived).toBe(false);
    expect(totalSubflows(old)).toBe(2); // additional + the first
    expect(totalSubflows(decodeMptcpInfo(b.subarray(0, 88)))).toBe(2); // subflows_total
    b.writeUInt8(5, 80);
    expect(totalSubflows(decodeMptcpInfo(b))).toBe(5);
  });
});
