import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LineReader, stripTelnet } from '../../../src/server/line-reader.js';
import { redactCommand } from '../../../src/server/logger.js';
import { counterDeltas, parseNetstat } from '../../../src/sys/counters.js';

describe('line reader', () => {
  test('CRLF and LF lines, split anywhere across chunks', () => {
    const reader = new LineReader(100);
    const text = 'USER anonymous\r\nPASS x\nNOOP\r\n';
    fc.assert(
      fc.property(fc.array(fc.nat(text.length), { maxLength: 6 }), (cuts) => {
        const points = [...new Set([0, ...cuts, text.length])].sort((a, b) => a - b);
        const lines: string[] = [];
        for (let i = 0; i + 1 < points.length; i += 1) {
          for (const event of reader.push(Buffer.from(text.slice(points[i], points[i + 1])))) {
            if (event.kind === 'line') lines.push(event.text);
          }
        }
        return lines.join('|') === 'USER anonymous|PASS x|NOOP' && !reader.hasPartialLine;
      }),
    );
  });

  test('a line longer than the limit is an overflow, even without a newline', () => {
    const reader = new LineReader(16);
    expect(reader.push(Buffer.alloc(10, 0x41))).toEqual([]);
    expect(reader.push(Buffer.alloc(10, 0x41))).toEqual([{ kind: 'overflow' }]);
  });

  test('binary garbage and control characters are garbage, not commands', () => {
    const reader = new LineReader(100);
    expect(reader.push(Buffer.from([0x55, 0xc3, 0x28, 0x0a]))).toEqual([{ kind: 'garbage', reason: 'not UTF-8' }]);
    expect(reader.push(Buffer.from('NO\u0000OP\r\n'))).toEqual([{ kind: 'garbage', reason: 'control characters' }]);
  });

  test('Telnet IAC IP / IAC DM before ABOR are removed; IAC IAC is one 0xFF', () => {
    expect(stripTelnet(Buffer.from([0xff, 0xf4, 0xff, 0xf2, 0x41, 0x42, 0x4f, 0x52])).toString()).toBe('ABOR');
    expect([...stripTelnet(Buffer.from([0x41, 0xff, 0xff]))]).toEqual([0x41, 0xff]);
    expect(stripTelnet(Buffer.from([0xff, 0xfb, 0x01, 0x41])).toString()).toBe('A');
  });

  test('PASS is never logged', () => {
    expect(redactCommand('PASS', 'hunter2')).toBe('PASS ****');
    expect(redactCommand('USER', 'anon\u001b[31m')).toBe('USER anon?[31m');
  });
});

describe('MPTcpExt counters', () => {
  const text = 'TcpExt: A B\nTcpExt: 1 2\nMPTcpExt: MPCapableSYNRX MPCapableFallbackACK\nMPTcpExt: 5 1\n';
  test('parses the MPTcpExt pair of lines; deltas keep only changes', () => {
    const before = parseNetstat(text);
    expect(before).toEqual({ MPCapableSYNRX: 5, MPCapableFallbackACK: 1 });
    expect(counterDeltas(before, { MPCapableSYNRX: 7, MPCapableFallbackACK: 1, New: 2 })).toEqual({ MPCapableSYNRX: 2, New: 2 });
  });
});
