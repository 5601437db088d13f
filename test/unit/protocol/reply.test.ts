// Reply framing in both directions: what a server formats, a client parses back to the same code
// and text, however the bytes are split.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { formatReply, formatReplyBlock, ReplyFramingError, ReplyParser } from '../../../src/protocol/reply.js';

const code = fc.integer({ min: 100, max: 599 });
// Printable text without CR/LF; a line must not itself look like the closing line of its reply.
const line = fc.string({ unit: fc.constantFrom(...'abc XYZ 0123-_.:()|,'.split('')), maxLength: 40 });

function parseAll(bytes: Buffer, cut: number) {
  const parser = new ReplyParser();
  const at = Math.min(cut, bytes.length);
  return [...parser.push(bytes.subarray(0, at)), ...parser.push(bytes.subarray(at))];
}

test('formatReply then parse gives back the code and the text, for one line or several, split anywhere', () => {
  fc.assert(
    fc.property(code, fc.array(line, { minLength: 1, maxLength: 5 }), fc.nat(400), (c, lines, cut) => {
      // A middle line starting with "ddd " would end the reply early: RFC 959 forbids it, so do we.
      fc.pre(lines.slice(0, -1).every((l, i) => i === 0 || !/^\d{3}( |$)/.test(l)));
      const replies = parseAll(Buffer.from(formatReply(c, lines.join('\n'))), cut);
      expect(replies).toHaveLength(1);
      expect(replies[0]!.code).toBe(c);
      expect(replies[0]!.message).toBe(lines.join('\n'));
    }),
  );
});

test('a block reply (FEAT) parses back with its indented lines', () => {
  const bytes = Buffer.from(formatReplyBlock(211, 'Features:', ['EPSV', 'SIZE'], 'End'));
  const [reply] = new ReplyParser().push(bytes);
  expect(reply).toMatchObject({ code: 211, lines: ['211-Features:', ' EPSV', ' SIZE', '211 End'] });
});

test('CR or LF inside a text never breaks the framing', () => {
  const [reply] = new ReplyParser().push(Buffer.from(formatReply(500, 'bad\r\ncommand')));
  expect(reply!.code).toBe(500);
});

test('bytes that are not replies are a framing error', () => {
  expect(() => new ReplyParser().push(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toThrow(ReplyFramingError);
});
