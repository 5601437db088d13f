// Server capacity and memory: `serve` with N concurrent MPTCP clients (one process, bench/clients/
// ftp-pool.ts) each downloading /probe/<size>; failures, aggregate throughput, serve's peak RSS.
import { formatSize } from '../../src/protocol/size.js';
import type { BenchContext, BenchGroup } from '../lib/context.js';
import { parseJson } from '../lib/context.js';
import { figure, mbPerSecond, MIB } from '../lib/figure.js';
import { startServe } from '../lib/serve.js';
import { timedRun } from '../lib/timed.js';

interface PoolReport {
  clients: number;
  ok: number;
  failures: number;
  reasons: Record<string, number>;
  bytes: number;
  mptcpControl: number;
  setupMs: number;
  transferMs: number;
  wallMs: number;
  error?: string;
}

async function runPool(ctx: BenchContext, port: number, clients: number): Promise<PoolReport> {
  const { lab, config } = ctx;
  const argv = lab.scriptArgv('bench/clients/ftp-pool.ts', ['127.0.0.1', String(port), `/probe/${formatSize(config.capacityBytes)}`, String(clients), '120', String(config.capacityBytes)]);
  const run = await timedRun(lab, 'server', argv, { timeoutMs: 150_000 });
  const report = parseJson<PoolReport>(run.stdout.trim().split('\n').pop() ?? '');
  if (!report) throw new Error(`client pool printed no report (exit ${run.exitCode}): ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  ctx.log(`  ${clients} clients: ${report.ok} ok, ${report.failures} failed, setup ${report.setupMs} ms, transfer ${report.transferMs} ms` +
    `${report.error ? `, ${report.error}` : ''}`);
  return report;
}

export const serverCapacity: BenchGroup = {
  id: 'server-capacity',
  title: 'serve: concurrent clients, memory',
  async run(ctx: BenchContext) {
    const { lab, config } = ctx;
    const size = config.capacityBytes;
    const figures = [];
    const failures: string[] = [];
    const raw: Record<string, unknown> = {};
    const describe = (report: PoolReport) =>
      Object.entries(report.reasons).map(([why, n]) => `${n} x ${why}`).join('; ') || report.error || '';

    // Memory: a fresh server per round, N clients at once, then its VmHWM.
    const memoryRounds = Math.min(3, config.runs);
    const peaks: number[] = [];
    const memoryReports: unknown[] = [];
    for (let round = 0; round < memoryRounds; round++) {
      const memoryServe = await startServe(lab, 2123);
      try {
        const report = await runPool(ctx, 2123, config.memoryClients);
        const peak = memoryServe.peakRssBytes();
        memoryReports.push({ ...report, peakRssBytes: peak ?? null });
        if (report.failures > 0 || report.error) failures.push(`memory round ${round + 1}, ${config.memoryClients} clients: ${report.failures} failed: ${describe(report)}`);
        peaks.push((peak ?? Number.NaN) / MIB);
      } finally {
        await memoryServe.stop();
      }
    }
    raw.memory = memoryReports;
    figures.push(figure('memory.serve', `peak RSS of serve, ${config.memoryClients} concurrent clients x ${formatSize(size)}`, 'MiB', peaks));

    // Capacity: one server, each client count in turn, the whole sequence `runs` times.
    const serve = await startServe(lab, 2124);
    const byCount = new Map<number, PoolReport[]>(config.capacityClients.map((n) => [n, []]));
    try {
      for (let round = 0; round < config.runs; round++) {
        for (const clients of config.capacityClients) {
          const report = await runPool(ctx, 2124, clients);
          byCount.get(clients)!.push(report);
          const failed = report.error ? clients - report.ok : report.failures;
          if (failed > 0) failures.push(`${clients} clients, round ${round + 1}: ${failed} failed: ${describe(report)}`);
        }
      }
      raw.peakRssBytesAfterCapacity = serve.peakRssBytes() ?? null;
    } finally {
      await serve.stop();
    }
    for (const [clients, reports] of byCount) {
      raw[`clients${clients}`] = reports;
      figures.push(figure(`capacity.${clients}.failures`, `${clients} concurrent clients x ${formatSize(size)}: failed clients per round`, 'count',
        reports.map((r) => (r.error ? clients - r.ok : r.failures)), { op: '<=', value: 0 }));
      figures.push(figure(`capacity.${clients}.throughput`, `${clients} concurrent clients: aggregate throughput (all RETR at once)`, 'MB/s',
        reports.map((r) => (r.ok > 0 ? mbPerSecond(r.bytes, r.transferMs) : Number.NaN))));
      figures.push(figure(`capacity.${clients}.setup`, `${clients} concurrent clients: connect + login + EPSV of all`, 'ms', reports.map((r) => r.setupMs)));
    }
    return {
      method: `\`serve\` on 127.0.0.1 (\`--max-clients 2000 --max-per-address 2000\`: the defaults, 64 and 16, are for exposed ` +
        `servers). One Node process (bench/clients/ftp-pool.ts) runs N clients with the project's \`connectMptcp\`: each opens the control ` +
        `connection, logs in, opens an EPSV data connection and waits; when all N are ready, all send \`RETR /probe/${formatSize(size)}\` ` +
        `at once. Aggregate throughput = bytes received / time from that moment to the last client's 226. Each client checks its byte count. ` +
        `${config.runs} rounds per client count on one serve process. Memory: a fresh serve process per round (${Math.min(3, config.runs)} rounds), ` +
        `${config.memoryClients} clients the same way, then VmHWM from /proc/PID/status.`,
      figures,
      failures,
      notes: [],
      raw,
    };
  },
};
