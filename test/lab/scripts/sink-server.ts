// Lab helper, run inside a namespace: an MPTCP (or --tcp) listener that counts what each client
// sends, prints one JSON line per connection (remote address, bytes, receive time, the kernel's
// report), answers "ok <bytes>\n" and closes. Prints "listening <port>" once ready.
//   node --import tsx test/lab/scripts/sink-server.ts --host 10.1.100.2 --port 5000 [--tcp]
import { listenMptcp, reportAccepted } from '../../../src/net/listen.js';
import { parseArgs } from './args.js';

const args = parseArgs(process.argv.slice(2));
const listener = await listenMptcp(
  { host: args.host ?? '0.0.0.0', port: Number(args.port ?? 0), tcp: args.tcp === 'true', bufferSizes: { receive: 4 << 20 } },
  (socket) => {
    let bytes = 0;
    let first = 0;
    let last = 0;
    let report: unknown;
    const remote = socket.remoteAddress;
    socket.on('data', (chunk: Buffer) => {
      if (bytes === 0) first = performance.now();
      bytes += chunk.length;
      last = performance.now();
    });
    socket.on('end', () => {
      try {
        report = reportAccepted(socket);
      } catch (error) {
        report = { error: String(error) };
      }
      const seconds = (last - first) / 1000;
      console.log(JSON.stringify({ remote, bytes, seconds, mbit: seconds > 0 ? (bytes * 8) / seconds / 1e6 : 0, report }));
      socket.end(`ok ${bytes}\n`);
    });
    socket.on('error', (error) => console.error(`connection from ${remote}: ${error.message}`));
  },
);
console.log(`listening ${listener.port}`);
const stop = () => void listener.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
