// A zero-byte download must succeed every time, in every data mode. The data connection of an
// empty file carries nothing but its end, and that end may reach the client before, with or after
// the 150 reply: a client that starts watching the connection only after 150 misses it and then
// reports "closed before the end of data" (or waits for an end that already came).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadFile, FtpClient, type DataMode } from '../../../src/ftp/index.js';
import { startServer, type ProbeServer } from '../../../src/server/index.js';
import { dataListener, DEFAULT_REPLIES, startScriptedServer, type Session } from './scripted-server.js';

const MODES: DataMode[] = ['epsv', 'pasv', 'eprt', 'port'];
const REPEATS = 30;

/** When the server ends the empty data connection, relative to its 150 reply. */
type Order = 'close-before-150' | 'close-with-150' | 'close-after-150';
const ORDERS: Order[] = ['close-before-150', 'close-with-150', 'close-after-150'];

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'ftp-empty-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/**
 * Serves `count` empty downloads in `mode`, ending each data connection in the given order
 * relative to 150. Active mode connects to the address the client's EPRT/PORT names.
 */
async function serveEmptyFiles(s: Session, mode: DataMode, order: Order, count: number): Promise<void> {
  s.send('220 hi\r\n');
  for (let i = 0; i < count; i++) {
    let opened: Promise<net.Socket> | undefined;
    let closeListener = () => undefined as void;
    for (;;) {
      const line = await s.read();
      if (line === undefined) return;
      const verb = line.split(' ')[0]!.toUpperCase();
      if (verb === 'SIZE') s.send('213 0\r\n');
      else if (verb === 'EPSV' || verb === 'PASV') {
        const data = await dataListener();
        opened = data.accepted;
        closeListener = data.close;
        const p = data.port;
        s.send(verb === 'EPSV' ? `229 Entering Extended Passive Mode (|||${p}|)\r\n` : `227 Entering Passive Mode (127,0,0,1,${p >> 8},${p & 255})\r\n`);
      } else if (verb === 'EPRT' || verb === 'PORT') {
        const argument = line.slice(5);
        const target = verb === 'EPRT'
          ? { host: argument.split('|')[2]!, port: Number(argument.split('|')[3]) }
          : { host: argument.split(',').slice(0, 4).join('.'), port: Number(argument.split(',')[4]) * 256 + Number(argument.split(',')[5]) };
        opened = new Promise((resolve, reject) => {
          const socket = net.connect(target, () => resolve(socket));
          socket.on('error', reject);
        });
        opened.catch(() => undefined);
        s.send(`200 ${verb} command successful.\r\n`);
      } else if (verb === 'RETR') break;
      else s.send(DEFAULT_REPLIES[verb] ?? '502 Not implemented.\r\n');
    }
    const socket = await opened!;
    socket.on('error', () => undefined);
    // The client closes its side once it has sampled its report, possibly before our 150.
    const closed = new Promise((resolve) => socket.once('close', resolve));
    if (order === 'close-before-150') {
      socket.end();
      // Let the end reach the client first.
      await sleep(20);
      s.send('150 Opening BINARY mode data connection (0 bytes).\r\n');
    } else if (order === 'close-with-150') {
      s.send('150 Opening BINARY mode data connection (0 bytes).\r\n');
      socket.end();
    } else {
      s.send('150 Opening BINARY mode data connection (0 bytes).\r\n');
      await sleep(20);
      socket.end();
    }
    await closed;
    closeListener();
    s.send('226 Transfer complete.\r\n');
  }
  if ((await s.read()) === 'QUIT') s.send('221 bye\r\n');
}

describe('empty download from a scripted server, in every order of end and 150', () => {
  let server: Awaited<ReturnType<typeof startScriptedServer>>;
  beforeAll(async () => {
    server = await startScriptedServer();
  });
  afterAll(() => server?.close());

  for (const mode of MODES) {
    for (const order of ORDERS) {
      it(`${mode}, data connection ${order.replace(/-/g, ' ')}: into a stream and into a file, every time`, async () => {
        const rounds = 5;
        const serving = new Promise<void>((resolve) => server.setScript((s) => serveEmptyFiles(s, mode, order, rounds * 2).finally(resolve)));
        const client = await FtpClient.connect({ host: '127.0.0.1', port: server.port, mode, replyTimeoutMs: 3000, idleTimeoutMs: 3000, connectTimeoutMs: 3000 });
        try {
          await client.login('anonymous', 'x@');
          for (let i = 0; i < rounds; i++) {
            // A stream sink (get to /dev/null, probe) and a file (get's .part, the fast path when passive).
            const streamed = await client.download('empty', new PassThrough().resume());
            expect(streamed.bytes).toBe(0);
            expect(streamed.finalReply.code).toBe(226);
            const file = path.join(workDir, `${mode}-${order}-${i}`);
            const result = await downloadFile(client, { remotePath: 'empty', target: { kind: 'file', path: file } });
            expect(result.totalBytes).toBe(0);
            expect(statSync(file).size).toBe(0);
          }
        } finally {
          await client.close();
        }
        await serving;
      });
    }
  }
});

describe('empty download from serve (in-process, loopback)', () => {
  let server: ProbeServer;
  beforeAll(async () => {
    server = await startServer({ port: 0 });
  });
  afterAll(async () => {
    await server?.close(1000);
  });

  for (const mode of MODES) {
    it(`${mode}: /probe/0 ${REPEATS} times, every time`, async () => {
      const client = await FtpClient.connect({ host: '127.0.0.1', port: server.port, mode, replyTimeoutMs: 5000, idleTimeoutMs: 5000, connectTimeoutMs: 5000 });
      try {
        await client.login('anonymous', 'x@');
        for (let i = 0; i < REPEATS; i++) {
          // Alternately a stream (get to /dev/null, probe) and a file (get's .part, the fast path when passive).
          if (i % 2 === 0) {
            const result = await client.download('/probe/0', discard());
            expect(result.bytes).toBe(0);
            expect(result.finalReply.code).toBe(226);
          } else {
            const file = path.join(workDir, `serve-${mode}-${i}`);
            const result = await downloadFile(client, { remotePath: '/probe/0', target: { kind: 'file', path: file } });
            expect(result.totalBytes).toBe(0);
            expect(statSync(file).size).toBe(0);
          }
        }
      } finally {
        await client.close();
      }
    });
  }
});
