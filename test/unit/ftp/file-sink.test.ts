// FileSink: the socket reads into a ring of buffers written to the file with positioned writes.
// A tiny ring forces the pause/resume path on nearly every read; the file must still be exact.
// FileSource, its mirror for uploads: buffers reused only after their write callback.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSink } from '../../../src/ftp/file-sink.js';
import { FileSource } from '../../../src/ftp/file-source.js';

const dir = mkdtempSync(path.join(tmpdir(), 'file-sink-'));

async function serve(payload: Buffer): Promise<{ port: number; close(): void }> {
  const server = net.createServer((socket) => socket.end(payload));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

const digest = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('FileSink', () => {
  it.each([
    { buffers: 2, bufferBytes: 4096 },
    { buffers: 3, bufferBytes: 65536 },
    { buffers: 8, bufferBytes: 1 << 20 },
  ])('receives exactly through a ring of $buffers x $bufferBytes bytes', async ({ buffers, bufferBytes }) => {
    const payload = randomBytes(12 << 20);
    const server = await serve(payload);
    const file = path.join(dir, `ring-${buffers}-${bufferBytes}`);
    const sink = new FileSink(openSync(file, 'w'), 0, { buffers, bufferBytes });
    const socket = net.connect({ host: '127.0.0.1', port: server.port, onread: sink.onread });
    sink.attach(socket);
    await new Promise((resolve, reject) => {
      socket.once('end', resolve);
      socket.once('error', reject);
    });
    await sink.close();
    server.close();
    expect(sink.bytes).toBe(payload.length);
    expect(digest(readFileSync(file))).toBe(digest(payload));
    // The smallest ring cannot keep up with loopback without pausing: that path ran.
    if (buffers === 2) expect(sink.pauses).toBeGreaterThan(0);
  });

  it('appends at its start position, also through writable()', async () => {
    const file = path.join(dir, 'resume');
    const head = Buffer.from('head-');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, head);
    const sink = new FileSink(openSync(file, 'r+'), head.length);
    const stream = sink.writable();
    stream.write(Buffer.from('tail'));
    await sink.close();
    expect(readFileSync(file, 'utf8')).toBe('head-tail');
  });
});

describe('FileSource', () => {
  it.each([
    { buffers: 1, bufferBytes: 4096, start: 0 },
    { buffers: 2, bufferBytes: 65536, start: 12345 },
    { buffers: 4, bufferBytes: 1 << 20, start: 0 },
  ])('sends a file exactly from $start through $buffers x $bufferBytes bytes', async ({ buffers, bufferBytes, start }) => {
    const payload = randomBytes(6 << 20);
    const file = path.join(dir, `source-${buffers}-${bufferBytes}`);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, payload);
    const chunks: Buffer[] = [];
    const server = net.createServer((socket) => socket.on('data', (chunk: Buffer) => chunks.push(chunk)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const received = new Promise<void>((resolve) => server.on('connection', (socket) => socket.on('end', () => resolve())));
    const socket = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
    await new Promise((resolve) => socket.once('connect', resolve));
    const source = new FileSource(openSync(file, 'r'), start, { buffers, bufferBytes });
    let counted = 0;
    await source.pump(socket, { onBytes: (n) => (counted += n), signal: { stopped: false } });
    socket.end();
    await received;
    await source.close();
    server.close();
    expect(counted).toBe(payload.length - start);
    expect(digest(Buffer.concat(chunks))).toBe(digest(payload.subarray(start)));
  });
});
