// serve sets its download sockets up for sending (docs/server.md, "Sending"): a send buffer beyond
// autotuning's 4 MiB with TCP_NOTSENT_LOWAT bounding the unsent part. Without CAP_NET_ADMIN the
// buffer cannot be raised past net.core.wmem_max, and a capped SO_SNDBUF would still switch
// autotuning off: then the socket keeps its defaults.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getTcpOption, native } from '../../src/native/index.js';
import { connectMptcp } from '../../src/net/connect.js';
import { acceptedFd, listenMptcp } from '../../src/net/listen.js';
import { computeDigest, startServer, type ProbeServer, type ServerEvent } from '../../src/server/index.js';
import { NOTSENT_LOWAT_BYTES, SEND_BUFFER_BYTES, tuneForSending } from '../../src/server/send-tuning.js';
import { packageRoot } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { RawClient } from './support/raw-client.js';

const skip = missingRequirement('send tuning', 'root', 'tool:setpriv');

function sendBuffer(fd: number): number {
  const constants = native().constants;
  return native().getIntOption(fd, constants.SOL_SOCKET, constants.SO_SNDBUF);
}

describe.skipIf(skip)('serve tunes its download sockets for sending', () => {
  let server: ProbeServer;
  let tcpServer: ProbeServer;
  const events: ServerEvent[] = [];
  beforeAll(async () => {
    server = await startServer({ port: 0, logger: (event) => events.push(event) });
    tcpServer = await startServer({ port: 0, tcp: true, logger: (event) => events.push(event) });
  });
  afterAll(async () => {
    await server?.close(0);
    await tcpServer?.close(0);
  });

  test.each([
    ['MPTCP', true],
    ['plain TCP', false],
  ])('%s: the transfer is logged with a send buffer of twice 16 MiB and a 1 MiB unsent bound; the bytes are intact', async (name, mptcp) => {
    const port = mptcp ? server.port : tcpServer.port;
    const client = await RawClient.login(port, '127.0.0.1', mptcp);
    const download = await client.download('/probe/4M');
    client.close();
    expect(download.final.code).toBe(226);
    expect(download.sha256).toBe(await computeDigest(4 << 20));
    const transfer = events.filter((e) => e.event === 'transfer' && e.command === 'RETR').at(-1);
    expect(transfer, name).toMatchObject({ state: mptcp ? 'mptcp' : 'tcp', sendBuffer: 2 * SEND_BUFFER_BYTES, notsentLowat: NOTSENT_LOWAT_BYTES });
    expect(transfer?.sendTuning).toBeUndefined();
  });

  test('on an accepted MPTCP socket the kernel takes both options', async () => {
    let accepted: import('node:net').Socket | undefined;
    const listener = await listenMptcp({ host: '127.0.0.1', port: 0 }, (socket) => {
      accepted = socket;
    });
    const client = await connectMptcp({ host: '127.0.0.1', port: listener.port });
    try {
      for (let i = 0; i < 100 && !accepted; i += 1) await new Promise((r) => setTimeout(r, 10));
      const fd = acceptedFd(accepted!)!;
      expect(native().getSocketProtocol(fd)).toBe(262);
      expect(tuneForSending(fd)).toEqual({ sendBuffer: 2 * SEND_BUFFER_BYTES, notsentLowat: NOTSENT_LOWAT_BYTES });
      expect(sendBuffer(fd)).toBe(2 * SEND_BUFFER_BYTES);
      expect(getTcpOption(fd, 'notsentLowat')).toBe(NOTSENT_LOWAT_BYTES);
    } finally {
      client.socket.destroy();
      accepted?.destroy();
      await listener.close();
    }
  });

  test('without CAP_NET_ADMIN the socket keeps its defaults: autotuned buffer, no unsent bound', async () => {
    // The same code in a child that has lost CAP_NET_ADMIN (still root otherwise, so it can read everything).
    const script = join(packageRoot, 'test', 'server', 'fixtures', 'send-tuning-child.ts');
    const { stdout } = await promisify(execFile)('setpriv', [
      '--inh-caps=-net_admin', '--bounding-set=-net_admin', process.execPath, '--import', 'tsx', script,
    ], { cwd: packageRoot, timeout: 30_000 });
    const result = JSON.parse(stdout) as { tuning: { skipped?: string; sendBuffer?: number }; before: number; after: number; lowat: number };
    expect(result.tuning).toEqual({ skipped: 'SO_SNDBUFFORCE EPERM' });
    // Left alone: a plain SO_SNDBUF would have changed it (and switched autotuning off).
    expect(result.after).toBe(result.before);
    expect(result.lowat).toBe(0);
  });
});
