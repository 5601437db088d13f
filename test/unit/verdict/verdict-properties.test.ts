// The verdict rules against generated evidence: no cause without the positive evidence causes.ts
// requires for it, no middlebox named from the mere absence of MPTCP, and nothing read from what the
// client's own teardown left behind (counters and samples after it gave up).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ADVICE, REQUIRED_EVIDENCE } from '../../../src/verdict/causes.js';
import type { ConnectionEvidence, ConnectionSample, ProbeEvidence, ServerConnectionView } from '../../../src/verdict/evidence.js';
import { beforeGiveUp } from '../../../src/verdict/evidence-facts.js';
import { judgeProbe } from '../../../src/verdict/verdict.js';

const COUNTER_NAMES = [
  'MPCapableSYNTX', 'MPCapableSYNRX', 'MPCapableFallbackSYNACK', 'MPCapableFallbackACK', 'MPCapableSYNTXDrop',
  'MPCapableSYNTXDisabled', 'Blackhole', 'MPCapableDataFallback', 'DataCsumErr', 'MPFailTx', 'MPFailRx',
  'DSSCorruptionFallback', 'DssFallback', 'DSSCorruptionReset', 'InfiniteMapTx', 'InfiniteMapRx', 'DSSNotMatching',
  'MPRstTx', 'MPRstRx', 'MPFastcloseTx', 'MPFastcloseRx', 'MPJoinSynTx', 'MPJoinSynAckRx', 'MPJoinSynTxConnectErr',
  'MPJoinSynTxBindErr', 'MPJoinSynTxCreatSkErr', 'MPJoinSynAckHMacFailure', 'MPJoinRejected', 'SubflowStale',
  'MPTCPRetrans', 'DuplicateData', 'RmSubflow',
];

const counters = fc.dictionary(fc.constantFrom(...COUNTER_NAMES), fc.integer({ min: 1, max: 4 }), { maxKeys: 6 });
const state = fc.constantFrom<'mptcp' | 'fallback' | 'tcp'>('mptcp', 'mptcp', 'fallback', 'tcp');

const sample = fc.record({
  phase: fc.constantFrom('connect', 'login', 'after-EPSV', 'after-PORT', 'transfer', 'end'),
  state,
  subflows: fc.integer({ min: 0, max: 3 }),
  notCarrying: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
  progress: fc.option(fc.dictionary(fc.constantFrom('10.0.1.1:1', '10.0.2.1:2'), fc.integer({ min: 0, max: 8 << 20 })), { nil: undefined }),
});

const samples = fc.array(sample, { maxLength: 8 }).map((list): ConnectionSample[] =>
  list.map((s, i) => ({
    phase: s.phase,
    atMs: i * 300,
    state: s.state,
    subflows: s.subflows,
    localAddresses: [],
    ...(s.notCarrying !== undefined ? { notCarrying: s.notCarrying } : {}),
    ...(s.progress !== undefined ? { progress: s.progress } : {}),
  })),
);

const serverView: fc.Arbitrary<ServerConnectionView> = fc.record(
  {
    socket: fc.constantFrom<'mptcp' | 'tcp'>('mptcp', 'tcp'),
    state,
    subflows: fc.integer({ min: 0, max: 3 }),
    mpCapableReceived: fc.constantFrom<boolean | null | undefined>(true, false, null, undefined),
    mpCapableEvidence: fc.constantFrom<'socket' | 'counters' | 'none'>('socket', 'counters', 'none'),
    listener: fc.constantFrom<'mptcp' | 'tcp'>('mptcp', 'tcp'),
  },
  { requiredKeys: ['socket', 'state', 'subflows'] },
);

const connection: fc.Arbitrary<ConnectionEvidence> = fc
  .record({
    role: fc.constantFrom<'control' | 'data'>('control', 'data'),
    mode: fc.constantFrom<'epsv' | 'pasv' | 'eprt' | 'port'>('epsv', 'pasv', 'eprt', 'port'),
    socket: fc.constantFrom<'mptcp' | 'tcp'>('mptcp', 'mptcp', 'mptcp', 'tcp'),
    socketReason: fc.constantFrom<'disabled' | 'unsupported' | 'forced' | undefined>('disabled', 'unsupported', 'forced', undefined),
    samples,
    expectedSubflows: fc.integer({ min: 1, max: 3 }),
    durationMs: fc.integer({ min: 0, max: 10_000 }),
    server: fc.option(serverView, { nil: undefined }),
    commands: fc.array(fc.record({ command: fc.constantFrom('PORT', 'EPRT', 'EPSV', 'PASV'), atMs: fc.integer({ min: 0, max: 3000 }) }), { maxLength: 2 }),
  })
  .map(({ role, mode, socket, socketReason, server, ...rest }): ConnectionEvidence => ({
    role,
    mode,
    opener: role === 'data' && (mode === 'eprt' || mode === 'port') ? 'server' : 'client',
    socket,
    ...(socket === 'tcp' && socketReason ? { socketReason } : {}),
    ...(server ? { server } : {}),
    ...rest,
  }));

const evidence: fc.Arbitrary<ProbeEvidence> = fc
  .record({
    connections: fc.array(connection, { minLength: 1, maxLength: 3 }),
    clientCounters: counters,
    serverCounters: fc.option(counters, { nil: undefined }),
    anomalies: fc.array(fc.record({ command: fc.constantFrom('PORT', 'RETR'), code: fc.constantFrom(500, 501), text: fc.constant('odd'), atMs: fc.nat(3000) }), { maxLength: 1 }),
    checksum: fc.record({ client: fc.boolean(), server: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: ['client'] }),
    serve: fc.boolean(),
    blackholeActive: fc.option(fc.boolean(), { nil: undefined }),
    transfer: fc.option(fc.record({ completed: fc.boolean(), errorKind: fc.constantFrom('timeout', 'closed', 'tls') }), { nil: undefined }),
  })
  .map(({ serve, serverCounters, blackholeActive, transfer, checksum, ...rest }): ProbeEvidence => ({
    ...rest,
    checksum: { client: checksum.client, ...(checksum.server !== undefined ? { server: checksum.server } : {}) },
    server: serve ? { kind: 'serve', listener: 'mptcp' } : { kind: 'other' },
    ...(serverCounters ? { serverCounters } : {}),
    ...(blackholeActive !== undefined ? { blackholeActive } : {}),
    ...(transfer ? { transfer } : {}),
  }));

const MIDDLEBOX_CAUSES = new Set(['option-stripped', 'payload-rewritten', 'stream-damaged', 'blackhole']);

describe('verdict rules on generated evidence', () => {
  test('every cause rests on the positive evidence it requires', () => {
    fc.assert(
      fc.property(evidence, (e) => {
        const { connections } = judgeProbe(e);
        const trimmed = beforeGiveUp(e);
        connections.forEach((v, i) => {
          const requirement = REQUIRED_EVIDENCE[v.cause];
          if (!requirement.met(trimmed.connections[i]!, trimmed)) {
            throw new Error(`${v.cause} without its evidence (${requirement.requires}); verdict evidence: ${v.evidence.join(' | ')}`);
          }
        });
      }),
      { numRuns: 3000 },
    );
  });

  test('no middlebox is named from the mere absence of MPTCP (no counters, no far-end view, no odd reply)', () => {
    const silent = evidence.map(({ serverCounters: _counters, blackholeActive: _blackhole, ...e }): ProbeEvidence => ({
      ...e,
      clientCounters: {},
      anomalies: [],
      connections: e.connections.map(({ server: _server, ...c }) => c),
    }));
    fc.assert(
      fc.property(silent, (e) => {
        for (const v of judgeProbe(e).connections) {
          if (MIDDLEBOX_CAUSES.has(v.cause)) throw new Error(`${v.cause} from absence alone: ${v.evidence.join(' | ')}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("what happened after the client gave up never changes a verdict", () => {
    const withGiveUp = fc.tuple(evidence, counters, fc.array(sample, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 2400 }));
    fc.assert(
      fc.property(withGiveUp, ([e, after, extra, cut]) => {
        const trimmedSamples = { ...e, connections: e.connections.map((c) => ({ ...c, samples: c.samples.filter((s) => s.atMs <= cut) })) };
        const base: ProbeEvidence = { ...trimmedSamples, gaveUp: { atMs: cut, reason: 'our timeout' } };
        const noisy: ProbeEvidence = {
          ...base,
          clientCountersAfterGiveUp: after,
          connections: base.connections.map((c) => ({
            ...c,
            samples: [...c.samples, ...extra.map((s, i) => ({ phase: s.phase, atMs: cut + 1 + i, state: s.state, subflows: s.subflows, localAddresses: [] }))],
          })),
        };
        const strip = (v: ReturnType<typeof judgeProbe>) => v.connections.map((c) => `${c.status}/${c.cause}`);
        expect(strip(judgeProbe(noisy))).toEqual(strip(judgeProbe(base)));
      }),
      { numRuns: 2000 },
    );
  });
});

test('docs/verdicts.md explains every cause the rules can name', () => {
  const doc = readFileSync(new URL('../../../docs/verdicts.md', import.meta.url), 'utf8');
  for (const cause of Object.keys(ADVICE)) expect(doc).toContain(`### ${cause}\n`);
});
