// N concurrent FTP clients in one process (the server-capacity benchmark): each opens an MPTCP
// control connection (the project's connectMptcp), logs in anonymously, opens an EPSV data
// connection, and waits; when every client is ready they all send RETR at once and drain the data.
// Prints one JSON object: failures by reason, bytes, setup and transfer times.
// Usage: tsx bench/clients/ftp-pool.ts HOST PORT PATH CLIENTS [TIMEOUT_S [EXPECTED_BYTES]]
import type net from 'node:net';
import { connectMptcp } from '../../src/net/connect.js';
import { ReplyParser } from '../../src/protocol/reply.js';

const [host = '127.0.0.1', portText = '2121', remotePath = '/probe/1M', clientsText = '10', timeoutText = '120', expectedText = '0'] = process.argv.slice(2);
const expectedBytes = Number(expectedText);
const port = Number(portText);
const clients = Number(clientsText);
const timeoutMs = Number(timeoutText) * 1000;

/** A reply as the pool reads it: the protocol's framing (src/protocol/reply.ts), text joined. */
interface Reply {
  code: number;
  text: string;
}

/** FTP replies from a control socket, framed by the same parser as the client's. */
class ReplyReader {
  private readonly parser = new ReplyParser();
  private readonly replies: Reply[] = [];
  private waiter: ((reply: Reply) => void) | undefined;
  private failure: Error | undefined;
  private failWaiter: ((error: Error) => void) | undefined;

  constructor(socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.push(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('control connection closed')));
  }

  private push(chunk: Buffer): void {
    let replies;
    try {
      replies = this.parser.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    for (const parsed of replies) {
      const reply = { code: parsed.code, text: parsed.lines.join('\n') };
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        this.failWaiter = undefined;
        w(reply);
      } else this.replies.push(reply);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    if (this.failWaiter) {
      const f = this.failWaiter;
      this.waiter = undefined;
      this.failWaiter = undefined;
      f(error);
    }
  }

  next(): Promise<Reply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }
}

async function command(socket: net.Socket, reader: ReplyReader, line: string, expect: number[]): Promise<Reply> {
  socket.write(`${line}\r\n`);
  const reply = await reader.next();
  if (!expect.includes(reply.code)) throw new Error(`${line.split(' ')[0]}: ${reply.text.split('\n')[0]}`);
  return reply;
}

let readyCount = 0;
let releaseAll: () => void = () => undefined;
const released = new Promise<void>((resolve) => { releaseAll = resolve; });
function arrived(): void {
  readyCount += 1;
  if (readyCount === clients) releaseAll();
}

interface ClientResult {
  ok: boolean;
  reason?: string;
  bytes: number;
  mptcp: boolean;
}

async function oneClient(): Promise<ClientResult> {
  let counted = false;
  const arrive = () => {
    if (!counted) {
      counted = true;
      arrived();
    }
  };
  let control: net.Socket | undefined;
  let data: net.Socket | undefined;
  let bytes = 0;
  let mptcp = false;
  try {
    const connection = await connectMptcp({ host, port, timeoutMs: 30_000 });
    control = connection.socket;
    try {
      mptcp = connection.report().state === 'mptcp';
    } catch {
      // the report is informative only
    }
    const reader = new ReplyReader(control);
    const greeting = await reader.next();
    if (greeting.code !== 220) throw new Error(`greeting: ${greeting.text}`);
    const user = await command(control, reader, 'USER anonymous', [230, 331]);
    if (user.code === 331) await command(control, reader, 'PASS bench@', [230]);
    await command(control, reader, 'TYPE I', [200]);
    const epsv = await command(control, reader, 'EPSV', [229]);
    const dataPort = Number(/\(\|\|\|(\d+)\|\)/.exec(epsv.text)?.[1]);
    if (!dataPort) throw new Error(`EPSV: ${epsv.text}`);
    data = (await connectMptcp({ host, port: dataPort, timeoutMs: 30_000 })).socket;
    const drained = new Promise<void>((resolve, reject) => {
      data!.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      data!.on('end', () => resolve());
      data!.on('error', reject);
    });
    arrive();
    await released;
    await command(control, reader, `RETR ${remotePath}`, [125, 150]);
    await drained;
    const final = await reader.next();
    if (final.code !== 226 && final.code !== 250) throw new Error(`end of transfer: ${final.text.split('\n')[0]}`);
    control.write('QUIT\r\n');
    if (expectedBytes > 0 && bytes !== expectedBytes) throw new Error(`received ${bytes} bytes, expected ${expectedBytes}`);
    return { ok: true, bytes, mptcp };
  } catch (error) {
    arrive();
    return { ok: false, reason: error instanceof Error ? error.message : String(error), bytes, mptcp };
  } finally {
    data?.destroy();
    control?.end();
    setTimeout(() => control?.destroy(), 1000).unref();
  }
}

const started = performance.now();
const watchdog = setTimeout(() => {
  console.log(JSON.stringify({ clients, error: `timed out after ${timeoutMs} ms`, ready: readyCount }));
  process.exit(1);
}, timeoutMs);
let releasedAt = 0;
void released.then(() => { releasedAt = performance.now(); });
const results = await Promise.all(Array.from({ length: clients }, () => oneClient()));
const finished = performance.now();
clearTimeout(watchdog);
const reasons: Record<string, number> = {};
for (const r of results) if (!r.ok) reasons[r.reason!] = (reasons[r.reason!] ?? 0) + 1;
console.log(JSON.stringify({
  clients,
  ok: results.filter((r) => r.ok).length,
  failures: results.filter((r) => !r.ok).length,
  reasons,
  bytes: results.reduce((n, r) => n + r.bytes, 0),
  mptcpControl: results.filter((r) => r.mptcp).length,
  setupMs: Math.round((releasedAt || finished) - started),
  transferMs: Math.round(finished - (releasedAt || started)),
  wallMs: Math.round(finished - started),
}));
