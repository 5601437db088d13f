// Lab helper, run inside a namespace: connect (MPTCP unless --tcp), optionally from --local, send
// --bytes, wait until the connection has --subflows subflows (or 3 s), then print one JSON line
// with the kernel's report and the server's answer. Exit 0 on success, 1 on any failure.
//   node --import tsx test/lab/scripts/send-client.ts --host 10.1.100.2 --port 5000 --bytes 100000
import { setTimeout as sleep } from 'node:timers/promises';
import { connectMptcp } from '../../../src/net/connect.js';
import { parseArgs } from './args.js';

const args = parseArgs(process.argv.slice(2));
const total = Number(args.bytes ?? 65536);
const wantSubflows = Number(args.subflows ?? 1);
// Whole run: a stalled transfer (middlebox tests) must still end with a report.
const deadlineMs = Number(args.deadline ?? 20_000);
let last: unknown;
setTimeout(() => {
  console.log(JSON.stringify({ error: `deadline ${deadlineMs} ms exceeded`, code: 'EDEADLINE', report: last }));
  process.exit(1);
}, deadlineMs).unref();
try {
  const connection = await connectMptcp({
    host: args.host ?? '127.0.0.1',
    port: Number(args.port),
    tcp: args.tcp === 'true',
    localAddress: args.local,
    timeoutMs: Number(args.timeout ?? 5000),
  });
  const { socket } = connection;
  last = connection.report();
  const sampler = setInterval(() => {
    try {
      last = connection.report();
    } catch {
      // closed
    }
  }, 100);
  sampler.unref();
  const reply: Promise<string> = new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => { text += d; });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  const started = performance.now();
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  let left = total;
  while (left > 0) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    left -= piece.length;
    if (!socket.write(piece)) await new Promise((r) => socket.once('drain', r));
  }
  // Extra subflows join after the first data exchange (docs/mptcp-facts.md, "Subflows"): give them a moment.
  let report = connection.report();
  const deadline = Date.now() + 3000;
  while (report.subflows.total < wantSubflows && Date.now() < deadline) {
    await sleep(20);
    report = connection.report();
  }
  socket.end();
  const answer = await reply;
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ local: socket.localAddress, bytes: total, seconds, answer: answer.trim(), report }));
  socket.destroy();
} catch (error) {
  console.log(JSON.stringify({ error: String(error), code: (error as { code?: string }).code }));
  process.exitCode = 1;
}
