// The bytes per subflow that `watch --report` plots, read off sock_diag TCP dumps captured from the
// kernel (fixtures/capture.sh: an MPTCP pair on 127.0.0.1:7000 with a second subflow from
// 127.0.0.2, an IPv6 pair on :7001), checked against the full decoders (inet-diag.ts, decode-tcp-info.ts).
import { describe, expect, it } from 'vitest';
import { decodeDiagMessage, INET_DIAG_MSG_LENGTH } from '../../../src/kernel/inet-diag.js';
import { parseAttributes, replyMessages } from '../../../src/kernel/netlink-frame.js';
import { subflowBytesOf } from '../../../src/kernel/subflow-bytes.js';
import { decodeTcpInfo } from '../../../src/native/decode-tcp-info.js';
import { fixture } from './fixtures.js';

const REPLIES = [fixture('tcp4.bin'), fixture('tcp6.bin')];

/** Every MPTCP subflow of the dumps, decoded the slow way: token, ends, tcp_info's two byte counts. */
function decodedSubflows() {
  return REPLIES.flatMap((bytes) =>
    replyMessages(bytes, 'test').messages.flatMap((message) => {
      const socket = decodeDiagMessage(message, 'tcp');
      const token = socket?.ulp?.mptcp?.tokenLocal;
      if (!socket || token === undefined || socket.state === 'listen') return [];
      const info = parseAttributes(message.payload.subarray(INET_DIAG_MSG_LENGTH)).find((a) => a.type === 2)!;
      const tcp = decodeTcpInfo(info.value);
      const end = (e: { address: string; port: number }) => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
      return [{ token, local: end(socket.local), remote: end(socket.remote), bytes: tcp.bytesReceived! + tcp.bytesAcked! }];
    }),
  );
}

describe('subflowBytesOf', () => {
  const all = decodedSubflows();

  it('finds every subflow of the asked-for connections with the bytes tcp_info counts, none of the others', () => {
    const tokens = new Set(all.map((s) => s.token));
    expect(tokens.size).toBeGreaterThanOrEqual(2);
    expect(subflowBytesOf(REPLIES, tokens)).toEqual(all);
    const one = all[0]!.token;
    const ofOne = subflowBytesOf(REPLIES, new Set([one]));
    expect(ofOne).toEqual(all.filter((s) => s.token === one));
    expect(ofOne.length).toBeLessThan(all.length);
  });

  it('the pair on :7000 with its second subflow: two subflows for the client token, both carried bytes', () => {
    const client = all.find((s) => s.local.startsWith('127.0.0.2:'))!;
    const subflows = subflowBytesOf(REPLIES, new Set([client.token]));
    expect(subflows.map((s) => s.local.split(':')[0]).sort()).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(subflows.every((s) => s.remote === '127.0.0.1:7000' && s.bytes > 0)).toBe(true);
  });

  it('no token, nothing', () => {
    expect(subflowBytesOf(REPLIES, new Set())).toEqual([]);
  });
});
