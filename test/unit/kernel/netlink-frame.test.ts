import { describe, expect, it } from 'vitest';
import {
  attributeMap, attributeString, attributeUint, encodeAttribute, encodeMessage, NetlinkFrameError, NetlinkRequestError, NLMSG_DONE,
  NLMSG_ERROR, parseAttributes, parseMessages, replyMessages, stringAttribute, u32Attribute,
} from '../../../src/kernel/netlink-frame.js';

function errorMessage(errno: number): Buffer {
  const payload = Buffer.alloc(20);
  payload.writeInt32LE(errno, 0);
  return encodeMessage(NLMSG_ERROR, 0, payload);
}

describe('netlink framing', () => {
  it('splits messages back to back, each padded to 4 bytes', () => {
    const bytes = Buffer.concat([encodeMessage(20, 2, Buffer.from([1, 2, 3])), encodeMessage(21, 0, Buffer.alloc(8))]);
    const messages = parseMessages(bytes);
    expect(messages.map((m) => [m.type, m.flags, m.payload.length])).toEqual([[20, 2, 3], [21, 0, 8]]);
    expect([...messages[0]!.payload]).toEqual([1, 2, 3]);
  });

  it('rejects a message that claims more bytes than there are', () => {
    const bytes = encodeMessage(20, 0, Buffer.alloc(8));
    bytes.writeUInt32LE(200, 0);
    expect(() => parseMessages(bytes)).toThrow(NetlinkFrameError);
  });

  it('reads attributes by length, masks the nested flag, stops at a truncated one', () => {
    const nested = encodeAttribute(0x8000 | 3, u32Attribute(1, 7));
    const bytes = Buffer.concat([stringAttribute(2, 'mptcp'), nested, Buffer.from([40, 0, 5, 0])]);
    const attributes = parseAttributes(bytes);
    expect(attributes.map((a) => [a.type, a.nested])).toEqual([[2, false], [3, true]]);
    expect(attributeString(attributes[0]!.value)).toBe('mptcp');
    expect(attributeUint(attributeMap(attributes[1]!.value).get(1)!)).toBe(7);
  });

  it('reads unsigned attributes of 1, 2, 4 and 8 bytes, and nothing of other widths', () => {
    expect(attributeUint(Buffer.from([9]))).toBe(9);
    expect(attributeUint(Buffer.from([1, 1]))).toBe(257);
    expect(attributeUint(Buffer.from([0, 0, 0, 1]))).toBe(2 ** 24);
    expect(attributeUint(Buffer.from([1, 0, 0, 0, 1, 0, 0, 0]))).toBe(2 ** 32 + 1);
    expect(attributeUint(Buffer.from([1, 2, 3]))).toBeUndefined();
  });

  it('turns NLMSG_ERROR into an error with errno and name, the ACK and DONE into the end', () => {
    expect(() => replyMessages(errorMessage(-2), 'family x')).toThrow(/family x: ENOENT/);
    try {
      replyMessages(errorMessage(-1), 'join');
    } catch (error) {
      expect(error).toBeInstanceOf(NetlinkRequestError);
      expect((error as NetlinkRequestError).errno).toBe(-1);
    }
    const data = encodeMessage(20, 2, Buffer.alloc(4));
    expect(replyMessages(Buffer.concat([data, errorMessage(0), data]), 'x').messages).toHaveLength(1);
    expect(replyMessages(Buffer.concat([data, encodeMessage(NLMSG_DONE, 2, Buffer.alloc(4)), data]), 'x').messages).toHaveLength(1);
  });

  it('reports a dump that failed part way (NLMSG_DONE with a negative errno)', () => {
    const done = Buffer.alloc(4);
    done.writeInt32LE(-12, 0);
    expect(() => replyMessages(encodeMessage(NLMSG_DONE, 2, done), 'dump')).toThrow(/ENOMEM/);
  });

  it('flags an interrupted dump (NLM_F_DUMP_INTR)', () => {
    const bytes = Buffer.concat([encodeMessage(20, 2 | 0x10, Buffer.alloc(4)), encodeMessage(NLMSG_DONE, 2, Buffer.alloc(4))]);
    expect(replyMessages(bytes, 'dump').interrupted).toBe(true);
  });
});
