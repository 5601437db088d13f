// Real MPTCP sockets on this kernel: what the addon and src/net report in each basic situation.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { native, readMptcpInfo, sampleMptcpState, setBufferSizes, createSocket, closeSocket, forceSendBuffer, getTcpOption, setTcpOption } from '../../src/native/index.js';
import { connectMptcp, type MptcpConnection } from '../../src/net/connect.js';
import { listenMptcp, reportAccepted, type MptcpListener } from '../../src/net/listen.js';
import type { ConnectionReport } from '../../src/net/report.js';
import { missingRequirement } from '../support/gate.js';
import { requireDist, packageRoot } from '../support/dist.js';
import { createNetns, type Netns } from '../support/netns.js';
import { join } from 'node:path';

async function echo(connection: MptcpConnection, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    connection.socket.once('data', (chunk) => resolve(chunk.toString()));
    connection.socket.once('error', reject);
    connection.socket.write(text);
  });
}

function echoServer(socket: net.Socket, accepted: net.Socket[]): void {
  accepted.push(socket);
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => undefined);
}

describe('loopback, this namespace', () => {
  const accepted: net.Socket[] = [];
  let mptcpListener: MptcpListener;
  let tcpServer: net.Server;
  let tcpPort: number;

  beforeAll(async () => {
    mptcpListener = await listenMptcp({ host: '127.0.0.1', port: 0 }, (s) => echoServer(s, accepted));
    tcpServer = net.createServer((s) => echoServer(s, accepted)).listen(0, '127.0.0.1');
    await new Promise((resolve) => tcpServer.once('listening', resolve));
    tcpPort = (tcpServer.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    accepted.forEach((s) => s.destroy());
    await mptcpListener.close();
    await new Promise((resolve) => tcpServer.close(resolve));
  });

  test('the listener is an MPTCP socket', () => {
    expect(mptcpListener.created.socket).toBe('mptcp');
    expect(native().getSocketProtocol(mptcpListener.fd)).toBe(262);
  });

  test('MPTCP client to an MPTCP listener: mptcp on both ends', async () => {
    const client = await connectMptcp({ host: '127.0.0.1', port: mptcpListener.port });
    expect(await echo(client, 'hello')).toBe('hello');
    const report = client.report();
    expect(report).toMatchObject({ socket: 'mptcp', state: 'mptcp', stateMethod: 'tcp_is_mptcp' });
    expect(report.subflows.total).toBe(1);
    expect(report.subflowDetails).toHaveLength(1);
    expect(report.subflowDetails[0]!.local).toMatchObject({ address: '127.0.0.1', port: client.socket.localPort });
    expect(report.subflowDetails[0]!.tcp?.state).toBe('established');
    expect(report.info?.fallback).toBe(false);
    expect(report.info?.remoteKeyReceived).toBe(true);
    const server = reportAccepted(accepted.at(-1)!)!;
    expect(server).toMatchObject({ socket: 'mptcp', state: 'mptcp' });
    expect(server.remote?.port).toBe(client.socket.localPort);
    client.socket.destroy();
  });

  test('MPTCP client to a plain TCP listener: fallback, and MPTCP_INFO refuses (this kernel)', async () => {
    const client = await connectMptcp({ host: '127.0.0.1', port: tcpPort });
    expect(await echo(client, 'x')).toBe('x');
    const report: ConnectionReport = client.report();
    expect(report).toMatchObject({ socket: 'mptcp', state: 'fallback' });
    expect(report.subflows.total).toBe(1);
    expect(report.subflowDetails[0]!.tcp?.bytesReceived).toBe(1);
    expect(sampleMptcpState(client.fd).state).toBe('fallback');
    const info = readMptcpInfo(client.fd);
    expect(info.info).toBeUndefined();
    expect(['EOPNOTSUPP', 'ENOPROTOOPT']).toContain(info.error);
    client.socket.destroy();
  });

  test('--tcp forces a plain TCP socket with reason "forced"', async () => {
    const client = await connectMptcp({ host: '127.0.0.1', port: mptcpListener.port, tcp: true });
    expect(await echo(client, 'y')).toBe('y');
    expect(client.report()).toMatchObject({ socket: 'tcp', socketReason: 'forced', state: 'tcp' });
    // The MPTCP listener accepted a plain TCP client: the accepted socket is plain TCP (SO_PROTOCOL 6).
    expect(reportAccepted(accepted.at(-1)!)).toMatchObject({ socket: 'tcp', state: 'tcp' });
    client.socket.destroy();
  });

  test('IPv6 loopback', async () => {
    const listener = await listenMptcp({ host: '::1', port: 0 }, (s) => echoServer(s, accepted));
    const client = await connectMptcp({ host: '::1', port: listener.port });
    expect(await echo(client, 'six')).toBe('six');
    const report = client.report();
    expect(report).toMatchObject({ socket: 'mptcp', state: 'mptcp', local: { family: 6, address: '::1' } });
    expect(report.subflowDetails[0]!.remote).toEqual({ family: 6, address: '::1', port: listener.port });
    client.socket.destroy();
    await listener.close();
  });

  test('socket buffer sizes are set before connect and inherited from the listener', async () => {
    const created = createSocket(4);
    const sizes = setBufferSizes(created.fd, { receive: 4 << 20, send: 1 << 20 });
    // The kernel doubles the value for its bookkeeping.
    expect(sizes.receive).toBe(8 << 20);
    expect(sizes.send).toBe(2 << 20);
    closeSocket(created.fd);
    const client = await connectMptcp({ host: '127.0.0.1', port: mptcpListener.port, bufferSizes: { receive: 3 << 20 } });
    expect(native().getBufferSizes(client.fd).receive).toBe(6 << 20);
    client.socket.destroy();
  });

  test('a closed port is one NetworkError ECONNREFUSED', async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => probe.once('listening', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(connectMptcp({ host: '127.0.0.1', port })).rejects.toMatchObject({ name: 'NetworkError', code: 'ECONNREFUSED' });
  });

  test('addon errors carry code, errno and syscall like Node', () => {
    const created = createSocket(4);
    try {
      expect(() => native().bindSocket(created.fd, 'not-an-address', 0)).toThrow(
        expect.objectContaining({ code: 'EINVAL', errno: -22, syscall: 'bind' }),
      );
      expect(() => native().getMptcpInfo(-1)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'getsockopt' }));
    } finally {
      closeSocket(created.fd);
    }
  });

  test('integer options: TCP_NOTSENT_LOWAT and TCP_NODELAY round-trip on an MPTCP socket; others are refused', () => {
    const created = createSocket(4);
    const { IPPROTO_TCP, SOL_SOCKET } = native().constants;
    try {
      expect(created.socket).toBe('mptcp');
      expect(getTcpOption(created.fd, 'notsentLowat')).not.toBe(256 << 10);
      setTcpOption(created.fd, 'notsentLowat', 256 << 10);
      expect(getTcpOption(created.fd, 'notsentLowat')).toBe(256 << 10);
      setTcpOption(created.fd, 'noDelay', 1);
      expect(getTcpOption(created.fd, 'noDelay')).toBe(1);
      // Not a generic setsockopt: SO_REUSEADDR (2) and TCP_MAXSEG (2) are not on the list.
      expect(() => native().setIntOption(created.fd, SOL_SOCKET, 2, 1)).toThrow(RangeError);
      expect(() => native().getIntOption(created.fd, IPPROTO_TCP, 2)).toThrow(RangeError);
      expect(() => setTcpOption(-1, 'cork', 1)).toThrow(expect.objectContaining({ code: 'EBADF', errno: -9, syscall: 'setsockopt' }));
      expect(() => getTcpOption(-1, 'cork')).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'getsockopt' }));
    } finally {
      closeSocket(created.fd);
    }
  });

  test('forceSendBuffer goes past net.core.wmem_max (root)', () => {
    const created = createSocket(4);
    try {
      // 64 MiB: above this machine's wmem_max, which plain SO_SNDBUF would cap it to.
      expect(forceSendBuffer(created.fd, 64 << 20)).toBe(128 << 20);
    } finally {
      closeSocket(created.fd);
    }
  });
});

const nsSkip = missingRequirement('native sockets in network namespaces', 'netns');

describe.skipIf(nsSkip)('in throwaway network namespaces', () => {
  const spaces: Netns[] = [];
  const pair = join(packageRoot, 'test', 'native', 'fixtures', 'pair.mjs');
  beforeAll(() => {
    requireDist();
  });
  afterAll(async () => {
    await Promise.all(spaces.map((ns) => ns.destroy()));
  });

  test('net.mptcp.enabled=0: socket tcp, reason disabled, and the connection still works', async () => {
    const ns = await createNetns('off');
    spaces.push(ns);
    await ns.exec(['sysctl', '-qw', 'net.mptcp.enabled=0']);
    const { stdout } = await ns.exec(['node', pair, JSON.stringify({ host: '127.0.0.1' })]);
    const result = JSON.parse(stdout);
    expect(result.echoed).toBe('ping');
    expect(result.listener).toMatchObject({ socket: 'tcp', reason: 'disabled', refusalCode: 'ENOPROTOOPT' });
    expect(result.client).toMatchObject({ socket: 'tcp', socketReason: 'disabled', state: 'tcp' });
  });

  test('a second address with a subflow endpoint: 2 subflows with both local addresses', async () => {
    const ns = await createNetns('two');
    spaces.push(ns);
    const ip = (...args: string[]) => ns.exec(['ip', ...args]);
    await ip('link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1');
    await ip('link', 'set', 'd1', 'up');
    await ip('link', 'set', 'd0', 'up');
    await ip('addr', 'add', '10.211.0.1/24', 'dev', 'd0');
    await ip('addr', 'add', '10.211.1.1/24', 'dev', 'd0');
    await ip('mptcp', 'limits', 'set', 'subflows', '2', 'add_addr_accepted', '2');
    await ip('mptcp', 'endpoint', 'add', '10.211.1.1', 'dev', 'd0', 'subflow');
    const { stdout } = await ns.exec(['node', pair, JSON.stringify({ host: '0.0.0.0', connectHost: '10.211.0.1', subflows: 2 })]);
    const { client } = JSON.parse(stdout) as { client: ConnectionReport };
    expect(client.state).toBe('mptcp');
    expect(client.subflows.total).toBe(2);
    const locals = client.subflowDetails.map((s) => s.local?.address).sort();
    expect(locals).toEqual(['10.211.0.1', '10.211.1.1']);
    expect(client.subflowDetails.every((s) => s.remote?.address === '10.211.0.1')).toBe(true);
  });
});
