// Aggregation: two client paths shaped to the same rate (tbf, the lab's routed topology); `get`
// over MPTCP (a subflow per path) against `get --tcp` (one path), goodput from the transfer phase.
import path from 'node:path';
import { createLab, startVsftpd } from '../../test/lab/index.js';
import { alternate, commonRounds, type Contender } from '../lib/alternate.js';
import { cliArgv } from '../lib/cli.js';
import { checkSize, parseJson, removeOutput, type BenchContext, type BenchGroup } from '../lib/context.js';
import { figure, figureOf, MIB } from '../lib/figure.js';
import { pairedRatios, summarize } from '../lib/stats.js';
import { rawRun, type TransferJson } from './loopback-download.js';

/** Goodput in Mbit/s from the transfer phase our client reports (node start-up and login excluded). */
function goodputMbit(stdout: string): number {
  const json = parseJson<TransferJson>(stdout);
  return json && json.durationMs > 0 ? (json.bytes * 8) / 1e6 / (json.durationMs / 1000) : Number.NaN;
}

export const aggregation: BenchGroup = {
  id: 'aggregation',
  title: 'Aggregation over two shaped paths',
  async run(ctx: BenchContext) {
    const { config } = ctx;
    const bytes = config.aggregationBytes;
    const rate = config.pathMbit;
    const lab = await createLab({ topology: 'routed', links: 2, ipv6: false });
    try {
      await lab.shape(1, { rateMbit: rate });
      await lab.shape(2, { rateMbit: rate });
      const ftp = await startVsftpd(lab, { mptcp: true, files: { 'agg.bin': bytes } });
      const out = path.join(config.tmpfs, 'aggregation.bin');
      const url = ftp.url('agg.bin');
      const subflowCounts: number[] = [];
      const get = (name: string, tcp: boolean): Contender => ({
        name,
        argv: () => cliArgv(['get', url, out, '--json', ...(tcp ? ['--tcp'] : [])]),
        before: () => removeOutput(out),
        verify: (run) => {
          const json = parseJson<TransferJson>(run.stdout);
          if (!json) return 'no JSON report';
          if (!tcp) {
            const data = json.connections.find((c) => c.role === 'data');
            subflowCounts.push(data?.report?.subflows?.total ?? 0);
          }
          return checkSize(out, bytes);
        },
      });
      const results = await alternate(lab, 'client', [get('get', false), get('get --tcp', true)], config.runs, { timeoutMs: 300_000, log: ctx.log });
      removeOutput(out);
      const goodput = (name: string, rounds?: number[]) =>
        (rounds ?? results[name]!.runs.map((_, i) => i)).map((i) => {
          const run = results[name]!.runs[i];
          return run ? goodputMbit(run.stdout) : Number.NaN;
        });
      const both = commonRounds(results, ['get', 'get --tcp']);
      const notes: string[] = [];
      const fewSubflows = subflowCounts.filter((n) => n < 2).length;
      if (fewSubflows > 0) notes.push(`the MPTCP data connection had fewer than 2 subflows in ${fewSubflows} run(s)`);
      return {
        method: `Routed lab, two client links each shaped with tbf to ${rate} Mbit/s both ways (burst 32 KiB, latency 100 ms); ` +
          `vsftpd under \`mptcpize run\` in the server namespace; the client has a \`subflow\` endpoint on link 2. ` +
          `\`get --json\` (MPTCP) and \`get --tcp --json\` download ${(bytes / MIB).toFixed(1)} MiB to tmpfs, ${config.runs} rounds alternated. ` +
          `Goodput = bytes / the transfer phase get reports (data connection open to final reply): node start-up and login are ` +
          `excluded because they are not network time. tbf counts whole frames, so the ceiling for goodput is about 0.95 of the rate.`,
        figures: [
          figure('aggregation.mptcp', `get over MPTCP, two ${rate} Mbit/s paths`, 'Mbit/s', goodput('get')),
          figure('aggregation.tcp', `get --tcp, one ${rate} Mbit/s path`, 'Mbit/s', goodput('get --tcp')),
          figure('aggregation.of-sum', `MPTCP goodput / sum of path rates (${2 * rate} Mbit/s)`, 'of sum',
            goodput('get').map((g) => g / (2 * rate)), { op: '>=', value: 0.93 }),
          figureOf('aggregation.vs-tcp', 'MPTCP goodput / TCP goodput', 'x', pairedRatios(goodput('get', both), goodput('get --tcp', both)), { op: '>=', value: 1.85 }),
        ],
        failures: Object.values(results).flatMap((r) => r.failures),
        notes,
        raw: {
          bytes, rateMbit: rate, subflows: summarize(subflowCounts).values,
          runs: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.runs.map(rawRun)])),
        },
      };
    } finally {
      await lab.destroy();
    }
  },
};
