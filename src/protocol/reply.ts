// FTP reply framing (RFC 959 section 4.2) in both directions: formatReply for a server, and an
// incremental parser for a client: single-line "ddd text" and multi-line "ddd-text ... ddd text".
// Bytes in, whole replies out; any split of the input gives the same replies. Hostile input can only
// produce ReplyFramingError, never an unbounded buffer or a hang.
import { printable } from '../text/printable.js';

/** The bytes do not frame as FTP replies (no code, an overlong line, an endless multi-line reply). */
export class ReplyFramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyFramingError';
  }
}

/**
 * A reply on the wire: one line "ddd text", or for a text of several lines "ddd-first", the middle
 * lines, and "ddd last" (RFC 959 section 4.2). CR and LF inside a line are not allowed.
 */
export function formatReply(code: number, text: string): string {
  const lines = text.split('\n').map((line) => line.replace(/[\r\n]/g, ' '));
  if (lines.length === 1) return `${code} ${lines[0]}\r\n`;
  return `${lines.map((line, index) => `${code}${index === lines.length - 1 ? ' ' : '-'}${line}`).join('\r\n')}\r\n`;
}

/** A multi-line reply whose middle lines are indented by one space (FEAT, HELP, MLST; RFC 2389). */
export function formatReplyBlock(code: number, first: string, lines: readonly string[], last: string): string {
  return `${code}-${first}\r\n${lines.map((line) => ` ${line}\r\n`).join('')}${code} ${last}\r\n`;
}

export interface FtpReply {
  /** Three-digit code, 100-599. */
  code: number;
  /** Every line of the reply as received (CR/LF removed), first line included. */
  lines: string[];
  /** The message: the first line without its code, then continuation lines (code prefix removed). */
  message: string;
}

export interface ReplyParserOptions {
  /** Longest line accepted, in bytes, without its CRLF (default 4096). */
  maxLineBytes?: number;
  /** Most lines in one multi-line reply (default 2000: a long FEAT or HELP stays well under). */
  maxLines?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 4096;
export const DEFAULT_MAX_LINES = 2000;

const LF = 0x0a;

export function replyClass(code: number): 1 | 2 | 3 | 4 | 5 {
  return Math.floor(code / 100) as 1 | 2 | 3 | 4 | 5;
}

export function isPositive(reply: FtpReply): boolean {
  return reply.code >= 100 && reply.code < 400;
}

/** One line for messages: "550 No such file" (control characters replaced, length capped). */
export function summarizeReply(reply: FtpReply): string {
  return `${reply.code} ${printable(reply.message.split('\n')[0] ?? '')}`.trim();
}


export class ReplyParser {
  private readonly maxLineBytes: number;
  private readonly maxLines: number;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Lines of a multi-line reply in progress. */
  private open: { code: number; lines: string[] } | undefined;
  private failure: ReplyFramingError | undefined;

  constructor(options: ReplyParserOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.maxLines = options.maxLines ?? DEFAULT_MAX_LINES;
  }

  /** True when bytes or lines of an unfinished reply are buffered (a truncated reply at EOF). */
  get pending(): boolean {
    return this.partialBytes > 0 || this.open !== undefined;
  }

  /** Feeds bytes; returns the replies they complete. After a throw the parser stays failed. */
  push(chunk: Uint8Array): FtpReply[] {
    if (this.failure) throw this.failure;
    try {
      return this.consume(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (error) {
      this.failure = error as ReplyFramingError;
      this.partial = [];
      this.partialBytes = 0;
      throw error;
    }
  }

  private consume(chunk: Buffer): FtpReply[] {
    const replies: FtpReply[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) {
        const rest = chunk.subarray(start);
        this.partialBytes += rest.length;
        // CR may still come before LF: allow one byte more than the limit while buffering.
        if (this.partialBytes > this.maxLineBytes + 1) throw overlong(this.maxLineBytes);
        this.partial.push(Buffer.from(rest));
        break;
      }
      let line = chunk.subarray(start, lf);
      if (this.partial.length > 0) {
        line = Buffer.concat([...this.partial, line]);
        this.partial = [];
        this.partialBytes = 0;
      }
      start = lf + 1;
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      if (line.length > this.maxLineBytes) throw overlong(this.maxLineBytes);
      const reply = this.line(line.toString('utf8'));
      if (reply) replies.push(reply);
    }
    return replies;
  }

  private line(text: string): FtpReply | undefined {
    if (this.open) {
      this.open.lines.push(text);
      if (isTerminator(text, this.open.code)) {
        const { code, lines } = this.open;
        this.open = undefined;
        return build(code, lines);
      }
      if (this.open.lines.length >= this.maxLines) {
        throw new ReplyFramingError(`malformed reply: multi-line reply longer than ${this.maxLines} lines`);
      }
      return undefined;
    }
    const match = /^([1-5]\d\d)([ -]|$)/.exec(text);
    if (!match) throw new ReplyFramingError(`malformed reply: "${printable(text, 60)}" does not start with a reply code`);
    const code = Number(match[1]);
    if (match[2] === '-') {
      this.open = { code, lines: [text] };
      return undefined;
    }
    return build(code, [text]);
  }
}

/** RFC 959: the last line starts with the same code followed by a space (or ends right after it). */
function isTerminator(text: string, code: number): boolean {
  return text.length >= 3 && text.startsWith(String(code)) && (text.length === 3 || text[3] === ' ');
}

function build(code: number, lines: string[]): FtpReply {
  const prefix = String(code);
  const message = lines
    .map((line, index) => {
      if (line.startsWith(prefix) && (line.length === 3 || line[3] === ' ' || line[3] === '-')) return line.slice(4);
      // Continuation lines (often indented by one space) keep their text.
      return index === 0 ? line : line.replace(/^ /, '');
    })
    .join('\n');
  return { code, lines, message };
}

function overlong(max: number): ReplyFramingError {
  return new ReplyFramingError(`malformed reply: line longer than ${max} bytes`);
}
