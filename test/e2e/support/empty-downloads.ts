// Run inside the client namespace (lab.runNode): for each URL (an empty file), downloads it COUNT
// times in each data mode through one logged-in FtpClient per mode, alternately into a stream (as
// get to /dev/null and probe do) and into a file (get's .part), and prints one JSON line with every
// failure. In-process so a thousand downloads take seconds, not a process start each.
//   empty-downloads.ts COUNT URL [--ca FILE] [URL [--ca FILE] ...]
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { downloadFile, FtpClient, parseFtpUrl, type DataMode, type FtpUrl } from '../../../src/ftp/index.js';

const MODES: DataMode[] = ['epsv', 'pasv', 'eprt', 'port'];

interface Target {
  url: FtpUrl;
  ca?: string;
}

function parseArguments(argv: string[]): { count: number; targets: Target[] } {
  const [countText, ...rest] = argv;
  const targets: Target[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--ca') targets[targets.length - 1]!.ca = rest[++i];
    else targets.push({ url: parseFtpUrl(rest[i]!) });
  }
  return { count: Number(countText), targets };
}

async function login(target: Target, mode: DataMode): Promise<FtpClient> {
  const client = await FtpClient.connect({
    host: target.url.host, port: target.url.port, mode, security: target.url.security,
    tls: target.ca ? { ca: readFileSync(target.ca) } : {}, replyTimeoutMs: 5000, connectTimeoutMs: 5000, idleTimeoutMs: 5000,
  });
  await client.login(target.url.user ?? 'anonymous', target.url.password ?? 'empty@');
  return client;
}

/** COUNT downloads in one mode; each failure as one line. */
async function downloadMany(target: Target, mode: DataMode, count: number, dir: string): Promise<string[]> {
  const failures: string[] = [];
  let client: FtpClient | undefined;
  try {
    client = await login(target, mode);
    for (let i = 0; i < count; i++) {
      try {
        if (i % 2 === 0) {
          const result = await client.download(target.url.path, new Writable({ write: (_chunk, _encoding, done) => done() }));
          if (result.bytes !== 0) failures.push(`#${i}: ${result.bytes} bytes`);
        } else {
          const file = path.join(dir, `${mode}-${i}`);
          const result = await downloadFile(client, { remotePath: target.url.path, target: { kind: 'file', path: file } });
          if (result.totalBytes !== 0 || statSync(file).size !== 0) failures.push(`#${i}: a file of ${statSync(file).size} bytes`);
        }
      } catch (error) {
        failures.push(`#${i}: ${(error as Error).message}`);
        // A failed transfer may leave the control connection out of step: carry on with a fresh one.
        client.ctx.close();
        client = await login(target, mode);
      }
    }
  } catch (error) {
    failures.push(`setup: ${(error as Error).message}`);
  } finally {
    await client?.close().catch(() => undefined);
  }
  return failures;
}

const { count, targets } = parseArguments(process.argv.slice(2));
const results: Array<{ url: string; mode: DataMode; failures: string[] }> = [];
for (const target of targets) {
  for (const mode of MODES) {
    const dir = mkdtempSync(path.join(tmpdir(), 'empty-'));
    try {
      results.push({ url: target.url.display, mode, failures: await downloadMany(target, mode, count, dir) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
process.stdout.write(`${JSON.stringify({ count, results })}\n`);
