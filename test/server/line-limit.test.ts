// The command-line limit counts the line, not its terminator: a line of exactly the limit is a
// command with CR LF and with a bare LF alike, one byte more is refused with either, however the
// bytes are split across reads. Before, CR LF lines were refused one byte earlier than LF lines.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LineReader, type LineEvent } from '../../src/server/line-reader.js';
import { startServer, type ProbeServer } from '../../src/server/index.js';
import { RawClient } from './support/raw-client.js';

const LIMIT = 1024;

function feed(reader: LineReader, bytes: Buffer, cuts: number[]): LineEvent[] {
  const points = [...new Set([0, ...cuts.map((c) => c % (bytes.length + 1)), bytes.length])].sort((a, b) => a - b);
  const events: LineEvent[] = [];
  for (let i = 0; i + 1 < points.length; i += 1) {
    events.push(...reader.push(bytes.subarray(points[i], points[i + 1])));
    // The session disconnects at an overflow: nothing after it is read.
    if (events.some((event) => event.kind === 'overflow')) break;
  }
  return events;
}

/** A command line of exactly `length` bytes (before the terminator). */
function commandOf(length: number): string {
  return `NOOP ${'x'.repeat(length - 5)}`;
}

describe('command line limit: the line counts, not the terminator', () => {
  test.each(['\r\n', '\n'])('a %j-terminated line of exactly the limit is a line; one byte more is an overflow', (terminator) => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 5 }), (cuts) => {
        const atLimit = feed(new LineReader(LIMIT), Buffer.from(commandOf(LIMIT) + terminator), cuts);
        const over = feed(new LineReader(LIMIT), Buffer.from(commandOf(LIMIT + 1) + terminator), cuts);
        return atLimit.length === 1 && atLimit[0]!.kind === 'line' && (atLimit[0] as { text: string }).text === commandOf(LIMIT)
          && over.length === 1 && over[0]!.kind === 'overflow';
      }),
    );
  });

  test.each(['\r\n', '\n'])('%j: cut right after the line or inside the terminator, the same verdict', (terminator) => {
    for (const length of [LIMIT, LIMIT + 1]) {
      const bytes = Buffer.from(commandOf(length) + terminator);
      for (const cut of [length, length + 1]) {
        const events = feed(new LineReader(LIMIT), bytes, [cut]);
        expect(events.map((e) => e.kind)).toEqual([length <= LIMIT ? 'line' : 'overflow']);
      }
    }
  });

  test('without a newline, a line is cut off as soon as no terminator can make it fit', () => {
    const reader = new LineReader(16);
    expect(reader.push(Buffer.alloc(16, 0x41))).toEqual([]);
    // 17th byte a CR: it may be the CR of CR LF, wait for the next byte.
    expect(reader.push(Buffer.from('\r'))).toEqual([]);
    expect(reader.push(Buffer.from('X'))).toEqual([{ kind: 'overflow' }]);
    const other = new LineReader(16);
    expect(other.push(Buffer.alloc(17, 0x41))).toEqual([{ kind: 'overflow' }]);
  });
});

describe('command line limit on the server', () => {
  let server: ProbeServer;
  beforeAll(async () => {
    server = await startServer({ port: 0 });
  });
  afterAll(async () => {
    await server?.close(0);
  });

  test.each(['\r\n', '\n'])('%j: 1024 bytes are a command, 1025 bytes are refused with 500 and a disconnect', async (terminator) => {
    const client = await RawClient.connect(server.port);
    expect((await client.reply()).code).toBe(220);
    client.write(`${commandOf(LIMIT)}${terminator}`);
    expect((await client.reply()).code).toBe(200); // NOOP works before login
    client.write(`${commandOf(LIMIT + 1)}${terminator}`);
    const refused = await client.reply();
    expect(refused.code).toBe(500);
    expect(refused.text).toMatch(/Line too long/);
    expect(await client.closedWithin(3000)).toBe(true);
    client.close();
  });
});
