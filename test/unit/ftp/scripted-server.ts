// A scripted FTP server on loopback for tests: each connection runs a script that reads command
// lines and writes whatever replies (well-formed or not) the test wants.
import net from 'node:net';

export type Script = (session: Session) => Promise<void>;

export class Session {
  private buffered = '';
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;
  constructor(readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.buffered += text;
      this.flush();
    });
    socket.on('end', () => {
      this.ended = true;
      this.flush();
    });
    socket.on('error', () => undefined);
  }
  private flush() {
    if (!this.waiting) return;
    const lf = this.buffered.indexOf('\n');
    if (lf >= 0) {
      const line = this.buffered.slice(0, lf).replace(/\r$/, '');
      this.buffered = this.buffered.slice(lf + 1);
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting(line);
    } else if (this.ended) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting(undefined);
    }
  }
  /** The next command line (undefined at EOF). */
  read(): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.flush();
    });
  }
  send(text: string) {
    this.socket.write(text);
  }
  /** Answers the usual login and setup commands until `until` arrives; returns that line. */
  async serveUntil(until: RegExp, replies: Record<string, string> = {}): Promise<string | undefined> {
    for (;;) {
      const line = await this.read();
      if (line === undefined || until.test(line)) return line;
      const verb = line.split(' ')[0]!.toUpperCase();
      const reply = replies[verb] ?? DEFAULT_REPLIES[verb] ?? '502 Not implemented.\r\n';
      this.send(reply);
    }
  }
}

export const DEFAULT_REPLIES: Record<string, string> = {
  USER: '331 Please specify the password.\r\n',
  PASS: '230 Login successful.\r\n',
  FEAT: '211-Features:\r\n EPSV\r\n SIZE\r\n211 End\r\n',
  TYPE: '200 Switching to Binary mode.\r\n',
  QUIT: '221 Goodbye.\r\n',
};

/** A passive data listener on loopback; resolves the accepted socket. */
export async function dataListener(): Promise<{ port: number; accepted: Promise<net.Socket>; close(): void }> {
  const server = net.createServer();
  let resolveAccepted!: (socket: net.Socket) => void;
  const accepted = new Promise<net.Socket>((resolve) => (resolveAccepted = resolve));
  server.on('connection', (socket) => {
    socket.on('error', () => undefined);
    resolveAccepted(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, accepted, close: () => server.close() };
}


/** Listens on 127.0.0.1; `script` is read at each connection, so tests may swap it. */
export async function startScriptedServer(): Promise<{ port: number; setScript(script: Script): void; close(): void }> {
  let script: Script = async () => undefined;
  const server = net.createServer((socket) => {
    const session = new Session(socket);
    script(session)
      .catch(() => undefined)
      .finally(() => setTimeout(() => socket.destroy(), 50));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    setScript: (next) => {
      script = next;
    },
    close: () => server.close(),
  };
}

/**
 * The usual opening of a download scenario: greet, open an EPSV data listener, and answer every
 * command with the defaults (SIZE as given) until the client sends RETR.
 */
export async function untilRetr(session: Session, sizeReply = '213 1000\r\n'): Promise<Awaited<ReturnType<typeof dataListener>>> {
  session.send('220 hi\r\n');
  const data = await dataListener();
  await session.serveUntil(/^RETR /, { SIZE: sizeReply, EPSV: `229 Entering Extended Passive Mode (|||${data.port}|)\r\n` });
  return data;
}
