// The reply parser: table-driven framing cases, then properties over arbitrary bytes and splits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FtpProtocolError } from '../../../src/ftp/errors.js';
import { ReplyParser, summarizeReply, type FtpReply } from '../../../src/ftp/reply-parser.js';

function parseAll(text: string | Buffer, options = {}): FtpReply[] {
  return new ReplyParser(options).push(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));
}

describe('ReplyParser framing', () => {
  const cases: Array<{ name: string; input: string; codes: number[]; messages?: string[] }> = [
    { name: 'single line', input: '220 Welcome\r\n', codes: [220], messages: ['Welcome'] },
    { name: 'bare LF', input: '200 ok\n', codes: [200], messages: ['ok'] },
    { name: 'code only', input: '200\r\n', codes: [200], messages: [''] },
    { name: 'two replies in one chunk', input: '331 pass?\r\n230 in\r\n', codes: [331, 230] },
    { name: 'multi-line', input: '211-Features:\r\n EPSV\r\n SIZE\r\n211 End\r\n', codes: [211], messages: ['Features:\nEPSV\nSIZE\nEnd'] },
    { name: 'multi-line with other codes inside', input: '220-hello\r\n230 not the end\r\n220-still\r\n220 end\r\n', codes: [220] },
    { name: 'multi-line ended by bare code', input: '220-a\r\n220\r\n', codes: [220] },
    { name: 'utf-8 text', input: '257 "/dir/ünï" created\r\n', codes: [257], messages: ['"/dir/ünï" created'] },
    { name: 'incomplete line waits', input: '220 partial', codes: [] },
    { name: 'open multi-line waits', input: '220-first\r\n', codes: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const replies = parseAll(c.input);
      expect(replies.map((r) => r.code)).toEqual(c.codes);
      if (c.messages) expect(replies.map((r) => r.message)).toEqual(c.messages);
    });
  }

  const bad: Array<{ name: string; input: string | Buffer; match: RegExp }> = [
    { name: 'no code', input: 'hello\r\n', match: /does not start with a reply code/ },
    { name: 'code out of range', input: '600 no\r\n', match: /reply code/ },
    { name: 'two digits', input: '20 ok\r\n', match: /reply code/ },
    { name: 'code glued to text', input: '200ok\r\n', match: /reply code/ },
    { name: 'empty line', input: '\r\n', match: /reply code/ },
    { name: 'overlong line', input: `200 ${'x'.repeat(5000)}\r\n`, match: /longer than 4096 bytes/ },
    { name: 'overlong unterminated', input: 'x'.repeat(5000), match: /longer than 4096 bytes/ },
    { name: 'binary garbage', input: Buffer.from([0xff, 0x00, 0x0a]), match: /reply code/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      expect(() => parseAll(c.input)).toThrow(FtpProtocolError);
      expect(() => parseAll(c.input)).toThrow(c.match);
    });
  }

  it('limits the lines of a multi-line reply', () => {
    const input = `211-x\r\n${' line\r\n'.repeat(20)}`;
    expect(() => parseAll(input, { maxLines: 10 })).toThrow(/longer than 10 lines/);
  });

  it('stays failed after an error', () => {
    const parser = new ReplyParser();
    expect(() => parser.push(Buffer.from('junk\r\n'))).toThrow(FtpProtocolError);
    expect(() => parser.push(Buffer.from('200 ok\r\n'))).toThrow(FtpProtocolError);
  });

  it('reports a pending partial reply', () => {
    const parser = new ReplyParser();
    parser.push(Buffer.from('150-opening\r\n'));
    expect(parser.pending).toBe(true);
    parser.push(Buffer.from('150 done\r\n'));
    expect(parser.pending).toBe(false);
  });

  it('summarizes with control characters removed', () => {
    expect(summarizeReply({ code: 550, lines: [], message: 'no\x1b[31m file' })).toBe('550 no?[31m file');
  });
});

/** Feeds `bytes` in pieces cut at `cuts`; returns the replies and whether it threw our error. */
function feedSplit(bytes: Uint8Array, cuts: number[]): { replies: FtpReply[]; failed: boolean } {
  const parser = new ReplyParser({ maxLineBytes: 64, maxLines: 8 });
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const replies: FtpReply[] = [];
  let start = 0;
  try {
    for (const point of [...points, bytes.length]) {
      replies.push(...parser.push(bytes.subarray(start, point)));
      start = point;
    }
    return { replies, failed: false };
  } catch (error) {
    if (!(error instanceof FtpProtocolError)) throw error;
    return { replies, failed: true };
  }
}

// Bytes that look like FTP often enough to reach the multi-line and overlong paths.
const ftpish = fc
  .array(
    fc.oneof(
      fc.constantFrom('220', '211', '150', '226', '550', '-', ' ', '\r\n', '\n', '\r', 'x'.repeat(70), 'text'),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => Buffer.from(parts.join(''), 'utf8'));
const input = fc.oneof(fc.uint8Array({ maxLength: 300 }), ftpish);

describe('ReplyParser properties', () => {
  it('never throws anything but FtpProtocolError, for any bytes and any split', () => {
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        feedSplit(bytes, cuts); // throws (failing the property) on any other error
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same replies and the same verdict whatever the split', () => {
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        const whole = feedSplit(bytes, []);
        const split = feedSplit(bytes, cuts);
        expect(split.failed).toBe(whole.failed);
        if (!whole.failed) expect(split.replies).toEqual(whole.replies);
        // byte by byte, the slowest possible server
        const single = feedSplit(bytes, Array.from({ length: bytes.length }, (_, i) => i));
        expect(single.failed).toBe(whole.failed);
        if (!whole.failed) expect(single.replies).toEqual(whole.replies);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips well-formed replies', () => {
    const line = fc.stringMatching(/^[ -~]{0,40}$/);
    const reply = fc.record({ code: fc.integer({ min: 100, max: 599 }), first: line, more: fc.array(line.filter((l) => !/^\d{3}/.test(l)), { maxLength: 4 }) });
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 5 }), (replies) => {
        const text = replies
          .map((r) => (r.more.length === 0 ? `${r.code} ${r.first}\r\n` : `${r.code}-${r.first}\r\n${r.more.map((m) => ` ${m}\r\n`).join('')}${r.code} end\r\n`))
          .join('');
        const parsed = new ReplyParser().push(Buffer.from(text));
        expect(parsed.map((p) => p.code)).toEqual(replies.map((r) => r.code));
      }),
    );
  });

  it('bounds memory: an endless line without LF fails instead of growing', () => {
    const parser = new ReplyParser({ maxLineBytes: 1024 });
    const chunk = Buffer.alloc(100, 0x41);
    let threw = false;
    for (let i = 0; i < 1000 && !threw; i++) {
      try {
        parser.push(chunk);
      } catch (error) {
        expect(error).toBeInstanceOf(FtpProtocolError);
        threw = true;
      }
    }
    expect(threw).toBe(true);
  });
});
