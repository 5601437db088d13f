// SITE MPTCP round-trips: the view serve sends as "200 <JSON>" comes back unchanged through the
// client's reply framing and parseSiteMptcpReply, however the bytes are split, and stays within the
// client's line limit for a realistic connection.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { DEFAULT_MAX_LINE_BYTES, formatReply, ReplyParser } from '../../../src/protocol/reply.js';
import { parseSiteMptcpReply, SITE_MPTCP_SCHEMA, type SiteMptcpConnection, type SiteMptcpData, type SiteMptcpView } from '../../../src/protocol/site-mptcp.js';

const endpoint = fc.oneof(
  fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([a, p]) => `${a}:${p}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 1, max: 65535 })).map(([a, p]) => `[${a}]:${p}`),
);
const timestamp = fc.date({ min: new Date('2020-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }).map((d) => d.toISOString());

const connectionFields = {
  socket: fc.constantFrom('mptcp' as const, 'tcp' as const),
  state: fc.constantFrom('mptcp' as const, 'fallback' as const, 'tcp' as const),
  mpCapableReceived: fc.constantFrom(true, false, null),
  listener: fc.constantFrom('mptcp' as const, 'tcp' as const),
  mpCapableEvidence: fc.constantFrom('socket' as const, 'counters' as const, 'none' as const),
  local: endpoint,
  remote: endpoint,
  subflows: fc
    .array(fc.record({ id: fc.nat(255), local: endpoint, remote: endpoint }, { requiredKeys: [] }), { maxLength: 8 })
    .map((list) => ({ total: list.length, list })),
  checksum: fc.record({
    enabled: fc.constantFrom(true, false, null),
    source: fc.constantFrom('mptcp_info' as const, 'sysctl' as const, 'unknown' as const),
  }),
  bytesSent: fc.maxSafeNat(),
  bytesReceived: fc.maxSafeNat(),
  sampledAt: timestamp,
};
const OPTIONAL = ['listener', 'mpCapableEvidence', 'local', 'remote', 'bytesSent', 'bytesReceived'];
const required = (fields: object) => Object.keys(fields).filter((key) => !OPTIONAL.includes(key));

const connection: fc.Arbitrary<SiteMptcpConnection> = fc.record(connectionFields, { requiredKeys: required(connectionFields) as never });
const dataFields = {
  ...connectionFields,
  mode: fc.constantFrom('passive' as const, 'active' as const),
  command: fc.constantFrom('RETR /probe/10M', 'STOR upload.bin', 'LIST', 'RETR /probe/1G'),
  bytes: fc.maxSafeNat(),
  sampled: fc.constantFrom('before-close' as const, 'unavailable' as const),
  outcome: fc.constantFrom('complete' as const, 'aborted' as const, 'failed' as const),
};
const data: fc.Arbitrary<SiteMptcpData> = fc.record(dataFields, { requiredKeys: required(dataFields) as never });
const counterName = fc.constantFrom('MPCapableSYNRX', 'MPCapableFallbackACK', 'MPJoinSynRx', 'MPTCPRetrans', 'DSSNotMatching', 'MPRstRx');

const view: fc.Arbitrary<SiteMptcpView> = fc.record({
  schema: fc.constant(SITE_MPTCP_SCHEMA),
  listener: fc.record({ socket: fc.constantFrom('mptcp' as const, 'tcp' as const), reason: fc.constantFrom('disabled', 'forced') }, { requiredKeys: ['socket'] }),
  control: connection,
  data: fc.option(data, { nil: null }),
  counters: fc.oneof(
    fc.record({ since: timestamp, deltas: fc.dictionary(counterName, fc.integer({ min: 1, max: 1_000_000 })) }),
    fc.record({ since: timestamp, error: fc.constantFrom('no counters at login', "ENOENT: no such file or directory, open '/proc/net/netstat'") }),
  ),
});

/** What the probe does with the reply: frame it, then parse the text after the code. */
function clientReads(bytes: Buffer, cut: number): SiteMptcpView {
  const parser = new ReplyParser();
  const at = Math.min(cut, bytes.length);
  const replies = [...parser.push(bytes.subarray(0, at)), ...parser.push(bytes.subarray(at))];
  expect(replies).toHaveLength(1);
  expect(replies[0]!.code).toBe(200);
  return parseSiteMptcpReply(replies[0]!.lines.join('\n'));
}

test('a view formatted as serve sends it parses back to the same view, split anywhere', () => {
  fc.assert(
    fc.property(view, fc.nat(4096), (sent, cut) => {
      const bytes = Buffer.from(formatReply(200, JSON.stringify(sent)));
      expect(clientReads(bytes, cut)).toEqual(sent);
    }),
  );
});

test('the view is one reply line, within the client line limit even with eight subflows per connection', () => {
  fc.assert(
    fc.property(view, (sent) => {
      const wire = formatReply(200, JSON.stringify(sent));
      expect(wire.indexOf('\r\n')).toBe(wire.length - 2);
      expect(Buffer.byteLength(wire) - 2).toBeLessThanOrEqual(DEFAULT_MAX_LINE_BYTES);
    }),
  );
});

test('a reply with another schema or a refusal is never taken for a view', () => {
  expect(() => parseSiteMptcpReply('200 {"schema":"mptcp-doctor/site-mptcp/v2"}')).toThrow(/not a mptcp-doctor\/site-mptcp\/v1 reply/);
  expect(() => parseSiteMptcpReply('502 Only SITE MPTCP and SITE HELP')).toThrow();
});
