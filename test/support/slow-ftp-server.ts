// A small FTP server on loopback that moves data at a set rate, for tests that need a transfer
// still running when they look (a progress bar, Ctrl-C, SIGTERM) or a login to check. Passive
// mode only (EPSV, PASV); every path is a file of `size` bytes; uploads are read at the same rate
// and discarded. Plain TCP: against it our MPTCP client falls back, which tests may rely on.
import net from 'node:net';

export interface SlowFtpOptions {
  /** Bytes of every file. */
  size: number;
  /** Bytes per second, both directions. */
  bytesPerSecond: number;
  /** The password USER must give, if any (others get 530). */
  password?: string;
}

export interface SlowFtpServer {
  port: number;
  url(path: string, user?: string): string;
  /** Every PASS argument received, to check what a prompt or stdin sent. */
  passwords: string[];
  /** Bytes received by each upload so far, in order (an upload cut short may still drain). */
  uploads: number[];
  /** Bytes sent by each download so far, in order. */
  downloads: number[];
  close(): Promise<void>;
}

const TICK_MS = 50;

export async function startSlowFtpServer(options: SlowFtpOptions): Promise<SlowFtpServer> {
  const sockets = new Set<net.Socket>();
  const listeners = new Set<net.Server>();
  const state: SlowFtpServer = {
    port: 0,
    passwords: [],
    uploads: [],
    downloads: [],
    url: (path, user) => `ftp://${user ? `${user}@` : ''}127.0.0.1:${state.port}/${path}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      for (const listener of listeners) listener.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const perTick = Math.max(1, Math.round((options.bytesPerSecond * TICK_MS) / 1000));

  function track(socket: net.Socket): net.Socket {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    return socket;
  }

  /** A passive listener whose first connection is handed to `use` once the transfer command came. */
  function passive(): { port: Promise<number>; connection: Promise<net.Socket> } {
    const listener = net.createServer();
    listeners.add(listener);
    const connection = new Promise<net.Socket>((resolve) => {
      listener.once('connection', (socket) => {
        listener.close();
        listeners.delete(listener);
        resolve(track(socket));
      });
    });
    const port = new Promise<number>((resolve) => listener.listen(0, '127.0.0.1', () => resolve((listener.address() as net.AddressInfo).port)));
    return { port, connection };
  }

  function send(socket: net.Socket, from: number): Promise<void> {
    const index = state.downloads.push(0) - 1;
    return new Promise((resolve) => {
      let sent = from;
      const timer = setInterval(() => {
        if (socket.destroyed) {
          clearInterval(timer);
          resolve();
          return;
        }
        const count = Math.min(perTick, options.size - sent);
        socket.write(Buffer.alloc(count, 0x5a));
        sent += count;
        state.downloads[index]! += count;
        if (sent >= options.size) {
          clearInterval(timer);
          socket.end(resolve);
        }
      }, TICK_MS);
    });
  }

  function receive(socket: net.Socket): Promise<void> {
    const index = state.uploads.push(0) - 1;
    return new Promise((resolve) => {
      let budget = perTick;
      socket.on('data', (chunk: Buffer) => {
        state.uploads[index]! += chunk.length;
        budget -= chunk.length;
        if (budget <= 0) socket.pause();
      });
      const timer = setInterval(() => {
        budget = perTick;
        socket.resume();
      }, TICK_MS);
      socket.on('end', () => {
        clearInterval(timer);
        socket.end();
        resolve();
      });
      socket.on('close', () => {
        clearInterval(timer);
        resolve();
      });
    });
  }

  const server = net.createServer((control) => {
    track(control);
    control.setEncoding('latin1');
    let buffered = '';
    let data: ReturnType<typeof passive> | undefined;
    let offset = 0;
    let queue = Promise.resolve();
    const reply = (text: string): void => {
      control.write(`${text}\r\n`);
    };
    const handle = async (line: string): Promise<void> => {
      const [verb = '', ...rest] = line.split(' ');
      const argument = rest.join(' ');
      switch (verb.toUpperCase()) {
        case 'USER':
          return reply('331 Password, please.');
        case 'PASS':
          state.passwords.push(argument);
          return reply(options.password === undefined || argument === options.password ? '230 Logged in.' : '530 Login incorrect.');
        case 'FEAT':
          return reply('211-Features:\r\n EPSV\r\n SIZE\r\n REST STREAM\r\n211 End');
        case 'TYPE':
          return reply('200 Binary it is.');
        case 'SIZE':
          return reply(argument.endsWith('.sha256') ? '550 No such file.' : `213 ${options.size}`);
        case 'REST':
          offset = Number(argument);
          return reply(`350 Restarting at ${offset}.`);
        case 'EPSV':
          data = passive();
          return reply(`229 Entering Extended Passive Mode (|||${await data.port}|)`);
        case 'PASV': {
          data = passive();
          const port = await data.port;
          return reply(`227 Entering Passive Mode (127,0,0,1,${port >> 8},${port & 255}).`);
        }
        case 'RETR': {
          if (!data) return reply('425 Use EPSV first.');
          // No checksum files: a probe must not fetch a whole slow file as one.
          if (argument.endsWith('.sha256')) {
            data.connection.then((socket) => socket.destroy(), () => undefined);
            data = undefined;
            return reply('550 No such file.');
          }
          const socket = await data.connection;
          data = undefined;
          reply(`150 Opening data connection (${options.size - offset} bytes).`);
          const from = offset;
          offset = 0;
          await send(socket, from);
          return reply('226 Transfer complete.');
        }
        case 'STOR':
        case 'APPE': {
          if (!data) return reply('425 Use EPSV first.');
          const socket = await data.connection;
          data = undefined;
          reply('150 Send it.');
          await receive(socket);
          return reply('226 Transfer complete.');
        }
        case 'QUIT':
          reply('221 Bye.');
          control.end();
          return undefined;
        default:
          return reply('502 Not implemented.');
      }
    };
    control.on('data', (text: string) => {
      buffered += text;
      for (let lf = buffered.indexOf('\n'); lf >= 0; lf = buffered.indexOf('\n')) {
        const line = buffered.slice(0, lf).replace(/\r$/, '');
        buffered = buffered.slice(lf + 1);
        queue = queue.then(() => handle(line)).catch(() => undefined);
      }
    });
    reply('220 Slow FTP test server.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  return state;
}
