// Splits the control stream into command lines with a hard bound on line length, and strips the
// Telnet commands some clients send around ABOR (RFC 959 section 4.1.3: IAC IP, IAC DM).
// Anything that is not text is reported as garbage rather than guessed at.

export type LineEvent =
  | { kind: 'line'; text: string }
  | { kind: 'garbage'; reason: string }
  | { kind: 'overflow' };

const IAC = 0xff;
const WILL = 0xfb;
const DONT = 0xfe;

/** Removes Telnet command sequences; IAC IAC stands for one 0xFF data byte. */
export function stripTelnet(bytes: Buffer): Buffer {
  if (!bytes.includes(IAC)) return bytes;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i]!;
    if (byte !== IAC) {
      out.push(byte);
      continue;
    }
    const next = bytes[i + 1];
    if (next === IAC) out.push(IAC);
    // WILL/WONT/DO/DONT carry one option byte.
    i += next !== undefined && next >= WILL && next <= DONT ? 2 : 1;
  }
  return Buffer.from(out);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** One line's bytes (without CR LF) as text, or why it is garbage. */
export function decodeLine(raw: Buffer): { text: string } | { garbage: string } {
  const bytes = stripTelnet(raw);
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { garbage: 'not UTF-8' };
  }
  // Control characters (NUL, ESC, ...) have no place in an FTP command.
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(text)) return { garbage: 'control characters' };
  return { text };
}

/** Carriage return: part of the CR LF terminator, never counted as part of the line. */
const CR = 0x0d;

export class LineReader {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  /** `maxLineBytes` bounds the line itself; its terminator (CR LF or a bare LF) does not count. */
  constructor(private readonly maxLineBytes: number) {}

  /** True while a partial line waits for its end (the slowloris clock runs). */
  get hasPartialLine(): boolean {
    return this.pendingLength > 0;
  }

  /** Feeds bytes; returns the complete lines (and problems) they finish, in order. */
  push(chunk: Buffer): LineEvent[] {
    const events: LineEvent[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      // One byte beyond the limit may be the CR of a CR LF: the same line is then as long with
      // either terminator. Whether it really is a CR is known once the line ends (or grows).
      if (this.pendingLength + (end - start) > this.maxLineBytes + 1) return this.overflow(events);
      this.pending.push(chunk.subarray(start, end));
      this.pendingLength += end - start;
      if (newline === -1) {
        // Already one byte over and that byte is not a CR: no terminator can make this line fit.
        if (this.pendingLength > this.maxLineBytes && this.lastPendingByte() !== CR) return this.overflow(events);
        break;
      }
      let line = Buffer.concat(this.pending, this.pendingLength);
      this.pending = [];
      this.pendingLength = 0;
      if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, -1);
      if (line.length > this.maxLineBytes) return this.overflow(events);
      const decoded = decodeLine(line);
      events.push('text' in decoded ? { kind: 'line', text: decoded.text } : { kind: 'garbage', reason: decoded.garbage });
      start = newline + 1;
    }
    // Copy what we keep: the chunk's buffer may be large and we must not pin it.
    if (this.pending.length > 0) {
      this.pending = [Buffer.from(Buffer.concat(this.pending, this.pendingLength))];
    }
    return events;
  }

  private lastPendingByte(): number | undefined {
    const last = this.pending[this.pending.length - 1];
    return last && last.length > 0 ? last[last.length - 1] : undefined;
  }

  /** No point reading further: the peer either is not speaking FTP or tries to exhaust memory. */
  private overflow(events: LineEvent[]): LineEvent[] {
    events.push({ kind: 'overflow' });
    this.pending = [];
    this.pendingLength = 0;
    return events;
  }
}
