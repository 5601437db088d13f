// FtpClient's API as probe uses it: every connection announced as it is made (with a live report),
// every command and reply seen (password masked), data start/progress/end with the report sampled
// before close, sendCommand for SITE commands, and refusals such as "500 Illegal PORT command".
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpClient, FtpError, type FtpObserver } from '../../../src/ftp/index.js';
import { dataListener, startScriptedServer, type Session } from './scripted-server.js';

let server: Awaited<ReturnType<typeof startScriptedServer>>;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(() => server?.close());

function recorder() {
  const events: string[] = [];
  const reports: Array<{ at: string; state: string }> = [];
  const observer: FtpObserver = {
    onConnection(role, mode, connection) {
      events.push(`connection ${role}${mode ? ` ${mode}` : ''}`);
      reports.push({ at: `connect ${role}`, state: connection.report().state });
    },
    onCommand(command, reply) {
      events.push(`${command} -> ${reply.code}`);
    },
    onDataStart(info) {
      events.push(`data start ${info.direction} ${info.mode} ${info.announcedSize ?? '-'}`);
      reports.push({ at: 'data start', state: info.connection.report().state });
    },
    onDataEnd(result) {
      events.push(`data end ${result.bytes} ${result.report ? 'reported' : result.reportError}`);
    },
  };
  return { events, reports, observer };
}

async function login(s: Session) {
  s.send('220 hi\r\n');
  for (;;) {
    const line = await s.read();
    if (line === undefined) return undefined;
    if (line.startsWith('USER')) s.send('331 pass?\r\n');
    else if (line.startsWith('PASS')) s.send('230 ok\r\n');
    else if (line.startsWith('FEAT')) s.send('211-Features:\r\n EPSV\r\n REST STREAM\r\n211 End\r\n');
    else if (line.startsWith('TYPE')) s.send('200 binary\r\n');
    else return line;
  }
}

describe('FtpClient observer', () => {
  it('announces control and data connections, masks PASS, reports data before close', async () => {
    const payload = Buffer.alloc(300_000, 9);
    server.setScript(async (s) => {
      let line = await login(s);
      expect(line).toBe('SITE MPTCP');
      s.send('200-MPTCP report\r\n control: mptcp\r\n200 end\r\n');
      const data = await dataListener();
      line = await s.read();
      expect(line).toBe('EPSV');
      s.send(`229 Entering Extended Passive Mode (|||${data.port}|)\r\n`);
      line = await s.read();
      expect(line).toBe('RETR x.bin');
      s.send(`150 Opening BINARY mode data connection for x.bin (${payload.length} bytes).\r\n`);
      const socket = await data.accepted;
      socket.end(payload);
      await new Promise((resolve) => socket.once('close', resolve));
      s.send('226 done\r\n');
      if ((await s.read()) === 'QUIT') s.send('221 bye\r\n');
      data.close();
    });
    const { events, reports, observer } = recorder();
    const client = await FtpClient.connect({ host: '127.0.0.1', port: server.port, observer, replyTimeoutMs: 5000 });
    await client.login('bob', 'hunter2');
    expect(client.features.get('REST')).toBe('STREAM');
    const site = await client.sendCommand('SITE MPTCP');
    expect(site.code).toBe(200);
    expect(site.lines).toHaveLength(3);
    const sink = new PassThrough();
    let received = 0;
    sink.on('data', (chunk: Buffer) => (received += chunk.length));
    const result = await client.download('x.bin', sink);
    expect(received).toBe(payload.length);
    expect(result).toMatchObject({ direction: 'download', mode: 'epsv', bytes: payload.length, announcedSize: payload.length });
    expect(result.data.report?.subflowDetails.length).toBeGreaterThanOrEqual(1);
    expect(client.reportControl().remote?.port).toBe(server.port);
    const closing = await client.close();
    expect(closing.report).toBeDefined();
    expect(() => client.reportControl()).toThrow(/already closed/);

    expect(events).toEqual([
      'connection control',
      'USER bob -> 331',
      'PASS **** -> 230',
      'FEAT -> 211',
      'TYPE I -> 200',
      'SITE MPTCP -> 200',
      'EPSV -> 229',
      'connection data epsv',
      'RETR x.bin -> 150',
      `data start download epsv ${payload.length}`,
      `data end ${payload.length} reported`,
      '(end of transfer) -> 226',
      'QUIT -> 221',
    ]);
    expect(events.join('\n')).not.toContain('hunter2');
    // Live samples at connect and data start (a plain TCP server: MPTCP sockets that fell back, or TCP).
    expect(reports.map((r) => r.at)).toEqual(['connect control', 'connect data', 'data start']);
    for (const r of reports) expect(['mptcp', 'fallback', 'tcp']).toContain(r.state);
  });

  it('active mode: EPRT refused, PORT refused with "500 Illegal PORT command": both seen, one clear error', async () => {
    server.setScript(async (s) => {
      let line = await login(s);
      expect(line).toMatch(/^SIZE /);
      s.send('213 10\r\n');
      line = await s.read();
      expect(line).toMatch(/^EPRT \|1\|127\.0\.0\.1\|\d+\|$/);
      s.send('500 EPRT not understood.\r\n');
      line = await s.read();
      expect(line).toMatch(/^PORT 127,0,0,1,\d+,\d+$/);
      s.send('500 Illegal PORT command.\r\n');
      if ((await s.read()) === 'QUIT') s.send('221 bye\r\n');
    });
    const { events, observer } = recorder();
    const notes: string[] = [];
    observer.onNote = (note) => notes.push(note);
    const client = await FtpClient.connect({ host: '127.0.0.1', port: server.port, observer, mode: 'active', replyTimeoutMs: 5000 });
    await client.login('anonymous', 'x@');
    expect(await client.size('f')).toBe(10);
    const failure = await client.download('f', new PassThrough()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FtpError);
    expect((failure as FtpError).message).toBe('PORT refused: 500 Illegal PORT command.');
    expect((failure as FtpError).reply?.code).toBe(500);
    expect(events).toContain('PORT 127,0,0,1,' + events.find((e) => e.startsWith('PORT'))!.split(',').slice(4).join(','));
    expect(events.filter((e) => / -> 500$/.test(e))).toHaveLength(2);
    expect(notes[0]).toMatch(/EPRT refused: 500 EPRT not understood\.; trying the next mode/);
    await client.close();
  });

  it('active mode: accepts the data connection only from the control peer, then downloads', async () => {
    const payload = Buffer.from('active bytes');
    server.setScript(async (s) => {
      const line = await login(s);
      const match = /^EPRT \|1\|([\d.]+)\|(\d+)\|$/.exec(line ?? '');
      expect(match).not.toBeNull();
      s.send('200 EPRT ok\r\n');
      expect(await s.read()).toBe('RETR a');
      s.send('150 here it comes\r\n');
      const socket = net.connect({ host: match![1]!, port: Number(match![2]) });
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.end(payload);
      await new Promise((resolve) => socket.once('close', resolve));
      s.send('226 done\r\n');
      if ((await s.read()) === 'QUIT') s.send('221 bye\r\n');
    });
    const { events, observer } = recorder();
    const client = await FtpClient.connect({ host: '127.0.0.1', port: server.port, observer, mode: 'eprt', replyTimeoutMs: 5000 });
    await client.login('anonymous', 'x@');
    const chunks: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => chunks.push(c));
    const result = await client.download('a', sink);
    expect(Buffer.concat(chunks)).toEqual(payload);
    expect(result.mode).toBe('eprt');
    expect(result.data.report).toBeDefined();
    expect(events).toContain('connection data eprt');
    await client.close();
  });

  it('active mode: 150 then 425 ends the wait for the data connection at once', async () => {
    server.setScript(async (s) => {
      const line = await login(s);
      expect(line).toMatch(/^EPRT /);
      s.send('200 EPRT ok\r\n');
      expect(await s.read()).toBe('RETR a');
      s.send('150 Opening data connection.\r\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
      s.send("425 Can't open data connection.\r\n");
      if ((await s.read()) === 'QUIT') s.send('221 bye\r\n');
    });
    const client = await FtpClient.connect({ host: '127.0.0.1', port: server.port, mode: 'eprt', connectTimeoutMs: 10_000, replyTimeoutMs: 5000 });
    await client.login('anonymous', 'x@');
    const started = Date.now();
    const failure = await client.download('a', new PassThrough()).catch((error: unknown) => error);
    expect((failure as Error).message).toBe("the server could not open the data connection: 425 Can't open data connection.");
    expect(Date.now() - started).toBeLessThan(2000);
    await client.close();
  });

  it('an aborted signal ends a transfer with kind "aborted"', async () => {
    server.setScript(async (s) => {
      await login(s);
      const data = await dataListener();
      s.send(`229 Entering Extended Passive Mode (|||${data.port}|)\r\n`);
      await s.read();
      s.send('150 slow\r\n');
      const socket = await data.accepted;
      socket.write(Buffer.alloc(1000));
      await new Promise((resolve) => setTimeout(resolve, 3000));
      data.close();
    });
    const controller = new AbortController();
    const client = await FtpClient.connect({ host: '127.0.0.1', port: server.port, signal: controller.signal, replyTimeoutMs: 5000 });
    await client.login('anonymous', 'x@');
    setTimeout(() => controller.abort(), 300);
    const failure = await client.download('f', new PassThrough()).catch((error: unknown) => error);
    expect(failure).toMatchObject({ kind: 'aborted' });
    client.ctx.close();
  });
});
