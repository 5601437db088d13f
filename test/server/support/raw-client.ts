// A deliberately dumb FTP control client for tests: sends exactly the bytes it is given (hostile input
// included) and reads replies as the server sends them. Every wait has a timeout.
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { connectMptcp } from '../../../src/net/connect.js';

export interface Reply {
  code: number;
  text: string;
}

export class RawClient {
  private buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(public socket: net.Socket, readonly mptcp: boolean) {
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** AUTH TLS: the control connection goes on over TLS (certificate not verified: tests use self-signed ones). */
  async startTls(): Promise<void> {
    expectCode(await this.command('AUTH TLS'), 234);
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  /** Plain TCP by default (net.connect); `mptcp` opens MPTCP sockets (src/net) for control and data. */
  static async connect(port: number, host = '127.0.0.1', mptcp = false): Promise<RawClient> {
    return new RawClient(await openSocket(port, host, mptcp), mptcp);
  }

  static async login(port: number, host = '127.0.0.1', mptcp = false): Promise<RawClient> {
    const client = await RawClient.connect(port, host, mptcp);
    expectCode(await client.reply(), 220);
    expectCode(await client.command('USER anonymous'), 331);
    expectCode(await client.command('PASS secret-password'), 230);
    return client;
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private async waitForData(deadline: number): Promise<void> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`no reply within the timeout; buffered: ${JSON.stringify(this.buffer.slice(0, 200))}`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, remaining);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The next complete reply (multi-line replies joined with \n). */
  async reply(timeoutMs = 10_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.takeReply();
      if (parsed) return parsed;
      if (this.closed) throw new Error(`connection closed; buffered: ${JSON.stringify(this.buffer)}`);
      await this.waitForData(deadline);
    }
  }

  private takeReply(): Reply | undefined {
    const lines = this.buffer.split('\r\n');
    if (lines.length < 2) return undefined;
    const first = /^(\d{3})([ -])/.exec(lines[0]!);
    if (!first) throw new Error(`not a reply: ${JSON.stringify(lines[0])}`);
    let end = 0;
    if (first[2] === '-') {
      end = lines.findIndex((line, i) => i > 0 && i < lines.length - 1 && line.startsWith(`${first[1]} `));
      if (end === -1) return undefined;
    }
    const text = lines.slice(0, end + 1).join('\n');
    this.buffer = lines.slice(end + 1).join('\r\n');
    return { code: Number(first[1]), text: text.slice(4) };
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string, timeoutMs?: number): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.reply(timeoutMs);
  }

  /** Resolves true when the server closes the connection within `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await this.waitForData(deadline).catch(() => undefined);
    return this.closed;
  }

  /** Everything the server sent that was not taken as a reply yet. */
  get unread(): string {
    return this.buffer;
  }

  /** EPSV + RETR: the downloaded bytes' SHA-256 and length, and the final reply. */
  async download(path: string, options: { rest?: number } = {}): Promise<{ sha256: string; bytes: number; final: Reply }> {
    const epsv = expectCode(await this.command('EPSV'), 229);
    const port = Number(/\(\|\|\|(\d+)\|\)/.exec(epsv.text)![1]);
    const data = await openSocket(port, this.socket.remoteAddress!, this.mptcp);
    const hash = createHash('sha256');
    let bytes = 0;
    const done = new Promise<void>((resolve) => {
      data.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      data.on('close', () => resolve());
    });
    if (options.rest !== undefined) expectCode(await this.command(`REST ${options.rest}`), 350);
    expectCode(await this.command(`RETR ${path}`), 150);
    await done;
    const final = await this.reply(60_000);
    return { sha256: hash.digest('hex'), bytes, final };
  }

  close(): void {
    this.socket.destroy();
  }
}

export async function openSocket(port: number, host: string, mptcp: boolean): Promise<net.Socket> {
  if (mptcp) {
    const connection = await connectMptcp({ host, port, timeoutMs: 5000 });
    connection.socket.on('error', () => undefined);
    return connection.socket;
  }
  const socket = net.connect({ port, host });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

export function expectCode(reply: Reply, code: number): Reply {
  if (reply.code !== code) throw new Error(`expected ${code}, got ${reply.code} ${reply.text}`);
  return reply;
}
