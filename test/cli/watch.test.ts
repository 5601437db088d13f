// `mptcp-doctor watch` as a user runs it, in a namespace of its own: --count ends it after that many
// events, and every line of a connection, its first included, names the program that holds it.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { createNetns, type Netns } from '../support/netns.js';
import { untilWatching } from '../support/watch-ready.js';

const skip = missingRequirement('watch in a namespace', 'root', 'netns', 'tool:python3');
// One MPTCP connection on 127.0.0.1 with a byte each way (the client's side is established only once
// data has moved), then held open until the test ends it.
const HOLD_ONE = [
  'import socket, time',
  'l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); l.bind(("127.0.0.1", 0)); l.listen(1)',
  'c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); c.connect(l.getsockname())',
  's, _ = l.accept(); c.sendall(b"x"); s.recv(1); s.sendall(b"y"); c.recv(1)',
  'time.sleep(60)',
].join('\n');

interface WatchLine {
  type: string;
  event?: { type: string; token?: number };
  connection?: { process?: { command: string; pid: number } };
  events?: number;
}

describe.skipIf(skip)('watch', () => {
  let ns: Netns;
  beforeAll(async () => { ns = await createNetns('watch'); });
  afterAll(async () => { await ns?.destroy(); });

  it('--count 5: one connection held open gives exactly five events, each connection line naming python3, then the summary', async () => {
    const watch = execa('ip', ['netns', 'exec', ns.name, 'node', requireDist(), 'watch', '--json', '--count', '5', '--interval', '0', '--verbose'], {
      reject: false, timeout: 30_000, buffer: true,
    });
    await untilWatching(watch);
    const holder = execa('ip', ['netns', 'exec', ns.name, 'python3', '-c', HOLD_ONE], { reject: false, timeout: 30_000 });
    try {
      const r = await watch;
      expect(r.exitCode, String(r.stderr)).toBe(0);
      const lines = String(r.stdout).trim().split('\n').map((l) => JSON.parse(l) as WatchLine);
      const events = lines.filter((l) => l.type === 'event');
      expect(events.map((l) => l.event!.type).sort()).toEqual(['created', 'created', 'established', 'established', 'listener_created']);
      const ofConnections = events.filter((l) => l.event!.token !== undefined);
      expect(ofConnections.map((l) => l.connection?.process?.command)).toEqual(['python3', 'python3', 'python3', 'python3']);
      expect(lines[lines.length - 1]).toMatchObject({ type: 'summary', events: 5 });
      expect(lines).toHaveLength(6);
    } finally {
      holder.kill('SIGTERM');
      await holder;
    }
  }, 60_000);
});
