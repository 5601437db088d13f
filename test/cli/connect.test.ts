// `mptcp-doctor connect` as a user runs it: the compiled CLI, real listeners, exit codes, JSON.
import net from 'node:net';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listenMptcp, type MptcpListener } from '../../src/net/listen.js';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { createNetns, type Netns } from '../support/netns.js';

const cli = requireDist();

function run(...args: string[]) {
  return execa('node', [cli, ...args], { reject: false, timeout: 20_000, env: { NO_COLOR: '1' } });
}

describe('connect', () => {
  const sockets: net.Socket[] = [];
  let mptcp: MptcpListener;
  let mptcp6: MptcpListener;
  let tcp: net.Server;
  let tcpPort: number;
  const greet = (socket: net.Socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.write('220 hello\r\n'); // a server that talks first, like FTP
  };

  beforeAll(async () => {
    mptcp = await listenMptcp({ host: '127.0.0.1', port: 0 }, greet);
    mptcp6 = await listenMptcp({ host: '::1', port: 0 }, greet);
    tcp = net.createServer(greet).listen(0, '127.0.0.1');
    await new Promise((resolve) => tcp.once('listening', resolve));
    tcpPort = (tcp.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await Promise.all([mptcp.close(), mptcp6.close(), new Promise((resolve) => tcp.close(resolve))]);
  });

  test('to an MPTCP listener: exit 0, a table naming MPTCP', async () => {
    const result = await run('connect', `127.0.0.1:${mptcp.port}`, '--wait', '50');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`127.0.0.1:${mptcp.port}: MPTCP, 1 subflow`);
    expect(result.stdout).toMatch(/state\s+MPTCP \(tcp_is_mptcp\)/);
    expect(result.stderr).toBe('');
  });

  test('--json has the documented fields', async () => {
    const result = await run('connect', `localhost:${mptcp.port}`, '--wait', '0', '--json', '-4');
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({
      schema: 'mptcp-doctor/connect/v1',
      target: { host: 'localhost', address: '127.0.0.1', port: mptcp.port },
      connection: { socket: 'mptcp', state: 'mptcp', subflows: { total: 1 } },
    });
    expect(json.connection.subflowDetails).toHaveLength(1);
    expect(json.connection.subflowDetails[0].remote).toEqual({ family: 4, address: '127.0.0.1', port: mptcp.port });
  });

  test('IPv6 literal in brackets', async () => {
    const result = await run('connect', `[::1]:${mptcp6.port}`, '--wait', '0', '--json');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).target).toMatchObject({ address: '::1', family: 6 });
  });

  test('to a plain TCP listener: exit 1, fallback', async () => {
    const result = await run('connect', `127.0.0.1:${tcpPort}`, '--wait', '0', '--json');
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.stdout).connection).toMatchObject({ socket: 'mptcp', state: 'fallback' });
  });

  test('--tcp: plain TCP as asked, exit 0, socket tcp with reason', async () => {
    const result = await run('connect', `127.0.0.1:${mptcp.port}`, '--wait', '0', '--tcp', '--json');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).ok).toBe(true);
    expect(JSON.parse(result.stdout).connection).toMatchObject({ socket: 'tcp', socketReason: 'forced', state: 'tcp' });
  });

  test('a closed port: exit 4, one line', async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => probe.once('listening', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const result = await run('connect', `127.0.0.1:${port}`);
    expect(result.exitCode).toBe(4);
    expect(result.stderr.trim()).toBe(`mptcp-doctor: connect to 127.0.0.1:${port}: connection refused`);
    expect(result.stdout).toBe('');
  });

  test('a name that does not resolve: exit 4, one line', async () => {
    const result = await run('connect', 'no-such-host.invalid:21');
    expect(result.exitCode).toBe(4);
    expect(result.stderr.trim()).toBe('mptcp-doctor: cannot resolve no-such-host.invalid: name not found');
  });

  test.each([
    [['connect', '127.0.0.1'], 'expected HOST:PORT'],
    [['connect', '127.0.0.1:70000'], 'bad port'],
    [['connect', '::1:21'], 'write IPv6 addresses as [ADDR]:PORT'],
    [['connect', '127.0.0.1:21', '--wait', '-5'], '--wait'],
    [['connect'], 'Not enough non-option arguments'],
    [['frobnicate'], 'unknown command "frobnicate"'],
  ])('usage error %j: exit 2', async (args, message) => {
    const result = await run(...args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

const nsSkip = missingRequirement('connect timeout in a namespace', 'netns', 'tool:iptables');

describe.skipIf(nsSkip)('connect, timeouts', () => {
  let ns: Netns;
  beforeAll(async () => {
    ns = await createNetns('cto');
  });
  afterAll(async () => ns?.destroy());

  test('a port whose SYNs are dropped: exit 4 "timed out" within --timeout', async () => {
    await ns.exec(['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '4444', '-j', 'DROP']);
    const started = Date.now();
    const result = await ns.exec(['node', cli, 'connect', '127.0.0.1:4444', '--timeout', '1'], { reject: false });
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/connect to 127\.0\.0\.1:4444: timed out/);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  test('a name with a dead IPv6 address first: the IPv4 address still gets its share of --timeout', async () => {
    // `ip netns exec` shows /etc/netns/NAME/hosts as /etc/hosts inside the namespace.
    const etc = `/etc/netns/${ns.name}`;
    mkdirSync(etc, { recursive: true });
    try {
      writeFileSync(`${etc}/hosts`, '2001:db8::dead dualstack.test\n127.0.0.1 dualstack.test\n');
      await ns.exec(['ip', 'link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1']);
      await ns.exec(['ip', 'link', 'set', 'd0', 'up']);
      await ns.exec(['ip', 'link', 'set', 'd1', 'up']);
      await ns.exec(['ip', '-6', 'addr', 'add', '2001:db8::1/64', 'dev', 'd0', 'nodad']);
      // The SYN to the IPv6 address vanishes inside the namespace, as on a broken IPv6 path.
      await ns.exec(['ip6tables', '-A', 'OUTPUT', '-d', '2001:db8::dead', '-j', 'DROP']);
      // A one-shot listener in the namespace: it serves one connection and exits (bounded by timeoutMs).
      const oneShot = "const server = require('net').createServer((s) => { s.end('220 hi'); server.close(); }).listen(4445, '127.0.0.1')";
      const listener = ns.exec(['node', '-e', oneShot], { reject: false, timeoutMs: 15_000 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = Date.now();
      const result = await ns.exec(['node', cli, 'connect', 'dualstack.test:4445', '--timeout', '4', '--wait', '0', '--json'], { reject: false });
      const elapsed = Date.now() - started;
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout).target).toMatchObject({ address: '127.0.0.1', family: 4 });
      expect(elapsed).toBeLessThan(4000);
      expect((await listener).exitCode).toBe(0);
    } finally {
      rmSync(etc, { recursive: true, force: true });
    }
  });
});
