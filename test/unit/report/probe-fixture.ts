// Probe results shaped like the ones recorded in the lab (Linux 6.18): two paths with the second one
// taken down during an EPSV transfer, and an FTP ALG turning the control connection into plain TCP
// after EPRT. Small enough to read; the numbers follow the recorded runs.
import type { ConnectionReport } from '../../../src/net/report.js';
import type { ProbeResult, ProbeRunSummary } from '../../../src/probe/probe.js';
import type { ConnectionRecord } from '../../../src/session/record.js';
import { connectionName } from '../../../src/verdict/connection-name.js';
import type { ConnectionSample } from '../../../src/verdict/evidence.js';

type Progress = Record<string, number>;

export function sample(phase: string, atMs: number, progress: Progress, state: ConnectionSample['state'] = 'mptcp'): ConnectionSample {
  const keys = Object.keys(progress);
  return { phase, atMs, state, subflows: state === 'mptcp' ? keys.length : 1, localAddresses: keys.map((k) => k.replace(/:\d+$/, '')), progress };
}

function endpoint(text: string) {
  const [address, port] = text.split(':') as [string, string];
  return { family: 4 as const, address, port: Number(port) };
}

/** The last report: each subflow's local and remote address. */
export function finalReport(pairs: Array<[string, string]>): ConnectionReport {
  return {
    socket: 'mptcp',
    state: 'mptcp',
    stateMethod: 'tcp_is_mptcp',
    subflows: { total: pairs.length, source: 'MPTCP_FULL_INFO' },
    subflowDetails: pairs.map(([local, remote]) => ({ local: endpoint(local), remote: endpoint(remote) })),
  } as ConnectionReport;
}

function connection(overrides: Partial<ConnectionRecord> & Pick<ConnectionRecord, 'role' | 'samples'>): ConnectionRecord {
  const mode = overrides.mode ?? 'epsv';
  const purpose = overrides.purpose ?? (overrides.role === 'control' ? 'control' : 'transfer');
  return {
    label: connectionName({ role: overrides.role, mode, purpose }, 'label'),
    mode,
    purpose,
    status: 'held',
    cause: 'none',
    evidence: [],
    advice: [],
    socket: 'mptcp',
    opener: mode === 'eprt' || mode === 'port' ? 'server' : 'client',
    expectedSubflows: 2,
    durationMs: 1000,
    ...overrides,
  };
}

type RunWithConnections = ProbeRunSummary & { connections: ConnectionRecord[] };

function run(overrides: Partial<RunWithConnections> & Pick<RunWithConnections, 'mode' | 'connections' | 'verdict'>): RunWithConnections {
  return {
    transfers: [{ direction: 'download', path: '/big.bin', bytes: 12 << 20, seconds: 5.9, matched: null }],
    counters: { client: {}, clientTcp: {} },
    anomalies: [],
    server: { kind: 'other' },
    notes: [],
    outcome: 'judged',
    ...overrides,
  };
}

function result(runs: RunWithConnections[]): ProbeResult {
  return {
    schema: 'mptcp-doctor/probe/v1',
    target: { url: 'ftp://10.1.100.2:2119/big.bin', host: '10.1.100.2', port: 2119, server: 'other' },
    verdict: runs[0]!.verdict,
    connections: runs.flatMap((r, index) => r.connections.map((c) => ({ ...c, run: index }))),
    runs: runs.map(({ connections: _connections, ...summary }) => summary),
    transfer: { bytes: 12 << 20, seconds: 5.9, matched: null, notVerified: 'the far end is not mptcp-doctor serve' },
    outcome: 'judged',
    counters: { client: runs[0]!.counters.client, clientTcp: {} },
    notes: [],
    durationMs: 6300,
  };
}

const A = '10.1.1.1:33716';
const B = '10.1.2.1:52337';
export const LINK_DOWN_KEYS = { first: A, second: B };

/** Two paths at 20 Mbit/s; the second goes down just after 874 ms; the first carries on to 6239 ms. */
export function linkDownResult(): ProbeResult {
  const dataSamples = [sample('connect', 380, { [A]: 1 }), sample('transfer-start', 386, { [A]: 38449, [B]: 33041 })];
  let a = 38449;
  let b = 33041;
  for (let at = 624; at <= 6156; at += 250) {
    a += 590_000;
    if (at < 1000) b += 580_000;
    dataSamples.push(sample('transfer', at, { [A]: a, [B]: b }));
  }
  dataSamples.push(sample('end', 6239, { [A]: a + 190_000, [B]: b }));
  const controlSamples = [
    sample('connect', 29, { '10.1.1.1:47934': 1 }),
    sample('login', 369, { '10.1.1.1:47934': 120, '10.1.2.1:37187': 66 }),
    sample('after-EPSV', 376, { '10.1.1.1:47934': 210, '10.1.2.1:37187': 66 }),
    sample('end', 6244, { '10.1.1.1:47934': 319, '10.1.2.1:37187': 66 }),
  ];
  const degraded = { status: 'degraded' as const, cause: 'path-failed' as const };
  return result([
    run({
      mode: 'epsv',
      verdict: { ...degraded, evidence: [`data connection (epsv): the subflow from ${B} stopped carrying data while the others went on`], advice: ['check that link'] },
      counters: { client: { MPJoinSynTx: 2, MPJoinSynAckRx: 2, DuplicateData: 218, MPCurrEstab: 1 }, clientTcp: {} },
      connections: [
        connection({ role: 'control', samples: controlSamples, report: finalReport([['10.1.1.1:47934', '10.1.100.2:2119'], ['10.1.2.1:37187', '10.1.100.2:2119']]) }),
        connection({ role: 'data', ...degraded, samples: dataSamples, durationMs: 5863, report: finalReport([[A, '10.1.100.2:30033'], [B, '10.1.100.2:30033']]) }),
      ],
    }),
  ]);
}

/** Active mode through an FTP ALG with checksums on: MPTCP through login, plain TCP from EPRT on. */
export function algResult(): ProbeResult {
  const C = '10.1.1.1:39536';
  const fellBack = { status: 'fell-back' as const, cause: 'payload-rewritten' as const };
  return result([
    run({
      mode: 'active',
      verdict: { ...fellBack, evidence: ['control connection: MPTCP at first, plain TCP from after-EPRT (325 ms)', 'client counter MPFailTx +1'], advice: ['use passive mode'] },
      counters: { client: { MPFailTx: 1, MPFailRx: 1, DssFallback: 1, MPCurrEstab: 1 }, clientTcp: {}, clientAfterGiveUp: { MPCurrEstab: -1 } },
      connections: [
        connection({
          role: 'control',
          mode: 'active',
          ...fellBack,
          expectedSubflows: 1,
          samples: [
            sample('connect', 41, { [C]: 1 }),
            sample('login', 317, { [C]: 185 }),
            sample('after-EPRT', 325, { [C]: 297 }, 'fallback'),
            sample('end', 371, { [C]: 401 }, 'fallback'),
          ],
          report: finalReport([[C, '10.1.100.2:2113']]),
        }),
        connection({
          role: 'data',
          mode: 'eprt',
          expectedSubflows: 1,
          samples: [sample('connect', 336, { '10.1.1.1:42381': 327680 }), sample('transfer-start', 342, { '10.1.1.1:42381': 1 << 20 }), sample('end', 370, { '10.1.1.1:42381': 1 << 20 })],
        }),
      ],
    }),
  ]);
}
