// A minimal explicit-FTPS server for tests that pins down one order of events: on every data
// connection it completes the TLS handshake first and only then sends its 150 reply (as serve does
// for passive connections, and unlike vsftpd, which sends 150 first). Downloads send `payload`;
// uploads are hashed and the SHA-256 is given in the 226 reply.
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';

export interface EarlyHandshakeServer {
  port: number;
  close(): void;
}

function lines(stream: net.Socket, onLine: (line: string) => void): () => void {
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('latin1');
    for (let lf = buffered.indexOf('\n'); lf >= 0; lf = buffered.indexOf('\n')) {
      const line = buffered.slice(0, lf).replace(/\r$/, '');
      buffered = buffered.slice(lf + 1);
      onLine(line);
    }
  };
  stream.on('data', onData);
  return () => stream.off('data', onData);
}

function secured(socket: tls.TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('secure', resolve);
    socket.once('error', reject);
  });
}

export async function startEarlyHandshakeServer(material: { cert: Buffer; key: Buffer }, payload: Buffer): Promise<EarlyHandshakeServer> {
  const context = tls.createSecureContext({ cert: material.cert, key: material.key });
  const server = net.createServer((raw) => {
    raw.on('error', () => undefined);
    let control: net.Socket = raw;
    let data: Promise<tls.TLSSocket> | undefined;
    let stopReading = () => undefined as void;
    const send = (text: string) => control.write(`${text}\r\n`);
    const onLine = (line: string) => {
      const [verb = '', argument = ''] = line.split(/ (.*)/s);
      switch (verb.toUpperCase()) {
        case 'AUTH':
          send('234 AUTH TLS ok');
          stopReading();
          control = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
          control.on('error', () => undefined);
          stopReading = lines(control, onLine);
          return;
        case 'USER': return send('331 password');
        case 'PASS': return send('230 logged in');
        case 'PBSZ': return send('200 PBSZ=0');
        case 'PROT': return send('200 PROT P');
        case 'FEAT': return send('211 no features');
        case 'TYPE': return send('200 binary');
        case 'SIZE': return send(`213 ${payload.length}`);
        case 'QUIT': return send('221 bye');
        case 'EPSV':
        case 'PASV': {
          const listener = net.createServer();
          data = new Promise((resolve) => {
            listener.once('connection', (socket) => {
              socket.on('error', () => undefined);
              listener.close();
              // TLS at accept, before anything else: the handshake ends before the client's RETR is read.
              const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
              secure.on('error', () => undefined);
              void secured(secure).then(() => resolve(secure));
            });
          });
          listener.listen(0, '127.0.0.1', () => {
            const port = (listener.address() as net.AddressInfo).port;
            send(verb.toUpperCase() === 'EPSV' ? `229 Extended Passive Mode (|||${port}|)` : `227 Passive Mode (127,0,0,1,${port >> 8},${port & 255})`);
          });
          return;
        }
        case 'EPRT':
        case 'PORT': {
          const target = verb.toUpperCase() === 'EPRT'
            ? { host: argument.split('|')[2]!, port: Number(argument.split('|')[3]) }
            : { host: argument.split(',').slice(0, 4).join('.'), port: Number(argument.split(',')[4]) * 256 + Number(argument.split(',')[5]) };
          send(`200 ${verb.toUpperCase()} ok`);
          // Connects and completes the handshake when the transfer command comes, before its 150.
          data = undefined;
          pendingActive = target;
          return;
        }
        case 'RETR':
        case 'STOR':
          void transfer(verb.toUpperCase());
          return;
        default:
          return send('502 not implemented');
      }
    };
    let pendingActive: { host: string; port: number } | undefined;
    const connectActive = (target: { host: string; port: number }) =>
      new Promise<tls.TLSSocket>((resolve) => {
        const socket = net.connect(target, () => {
          const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
          secure.on('error', () => undefined);
          void secured(secure).then(() => resolve(secure));
        });
        socket.on('error', () => undefined);
      });
    async function transfer(verb: string): Promise<void> {
      const pending = data ?? (pendingActive ? connectActive(pendingActive) : undefined);
      data = undefined;
      pendingActive = undefined;
      if (!pending) return void send('425 use EPSV, PASV, EPRT or PORT first');
      const secure = await pending;
      send(`150 Opening BINARY mode data connection${verb === 'RETR' ? ` (${payload.length} bytes)` : ''}`);
      if (verb === 'RETR') {
        secure.end(payload);
        await new Promise((resolve) => secure.once('close', resolve));
        send('226 Transfer complete');
        return;
      }
      const hash = createHash('sha256');
      let bytes = 0;
      secure.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      await new Promise((resolve) => secure.once('end', resolve));
      secure.end();
      send(`226 received ${bytes} bytes, SHA-256 ${hash.digest('hex')}`);
    }
    send('220 early-handshake test server');
    stopReading = lines(raw, onLine);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}
