// Host-wide observation: `conns` over many open MPTCP connections against `ss -Mni` in the same
// namespace (alternated, same rounds), and `watch` through a burst of connections opened and closed
// (every event counted, losses reported by the kernel as ENOBUFS).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../test/lab/index.js';
import { alternate, commonRounds, type Contender } from '../lib/alternate.js';
import { benchCliEntry, cliArgv } from '../lib/cli.js';
import type { BenchContext, BenchGroup } from '../lib/context.js';
import { figure, figureOf, MIB } from '../lib/figure.js';
import { pairedRatios } from '../lib/stats.js';

const BURST = path.join(packageRoot, 'test', 'native', 'fixtures', 'mptcp-burst.py');

/**
 * The hard RLIMIT_NOFILE of this process, which the holders inherit. Raising it needs
 * CAP_SYS_RESOURCE (`prlimit --nofile` fails without it, as it does in this sandbox): more
 * connections than one process may hold are spread over several holders instead.
 */
export function descriptorHardLimit(limitsText = readFileSync('/proc/self/limits', 'utf8')): number {
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(limitsText)?.[1];
  return hard === undefined || hard === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(hard);
}

/**
 * How many connections each holder keeps: a holder has both ends of each of its connections open
 * (two descriptors) plus its listener, stdio and Python's own; near-equal shares, as few as fit.
 */
export function holderShares(connections: number, hardLimit: number): number[] {
  const perHolder = Math.max(1, Math.floor((hardLimit - 64) / 2));
  const holders = Math.ceil(connections / perHolder);
  return Array.from({ length: holders }, (_, i) => Math.floor(connections / holders) + (i < connections % holders ? 1 : 0));
}

interface WatchSummaryJson {
  type: 'summary';
  events: number;
  overflows: number;
  durationMs: number;
  receiveBufferBytes?: number;
}

export const hostObservation: BenchGroup = {
  id: 'host-observation',
  title: 'Host-wide observation (conns, watch)',
  async run(ctx: BenchContext) {
    const { lab, config, log } = ctx;
    const held = config.smoke ? 200 : 10_000;
    const burst = config.smoke ? 200 : 5_000;
    // The smoke run only proves the code still works: one watch round is enough there.
    const watchRounds = config.smoke ? 1 : config.runs;
    const failures: string[] = [];
    const notes: string[] = [];

    // 1. conns vs ss -Mni over `held` open connections (both ends in the namespace: 2 x held MPTCP sockets),
    // held by as many processes as the descriptor limit needs (each with a listener of its own).
    const shares = holderShares(held, descriptorHardLimit());
    const holders = shares.map((n) => lab.spawn('server', ['python3', BURST, String(n), 'hold']));
    let conns: Awaited<ReturnType<typeof alternate>>;
    try {
      await Promise.all(holders.map((h) => h.waitForOutput('open', 300_000)));
      log(`  ${held} connections held by ${holders.length} process${holders.length === 1 ? '' : 'es'} (${shares.join(', ')})`);
      const expectedLine = `${2 * held} connections (${2 * held} MPTCP, 0 fell back)`;
      const ss: Contender = { name: 'ss -Mni', argv: () => ['ss', '-Mni'], rss: true };
      // What a user types: `mptcp-doctor conns`, the package's bin run through its own
      // `#!/usr/bin/env node` line, default (text) output.
      const ours: Contender = {
        name: 'conns',
        argv: () => [benchCliEntry, 'conns'],
        rss: true,
        verify: (run) => (run.stdout.startsWith(expectedLine) ? undefined : `first line ${JSON.stringify(run.stdout.split('\n')[0])}, expected ${expectedLine}`),
      };
      conns = await alternate(lab, 'server', [ss, ours], config.runs, { timeoutMs: 60_000, log });
    } finally {
      for (const holder of holders) await holder.stop();
    }
    const rounds = commonRounds(conns, ['conns', 'ss -Mni']);
    const wall = (name: string) => conns[name]!.runs.map((r) => r?.wallMs ?? Number.NaN);
    const rss = (name: string) => conns[name]!.runs.filter((r) => r?.peakRssBytes).map((r) => r!.peakRssBytes! / MIB);
    // CPU time (user + system, from the run's GNU time) of the rounds where both commands ran.
    const cpuRounds = rounds.filter((i) => conns['ss -Mni']!.runs[i]?.cpuMs !== undefined && conns.conns!.runs[i]?.cpuMs !== undefined);
    const cpuOf = (name: 'ss -Mni' | 'conns') => cpuRounds.map((i) => conns[name]!.runs[i]!.cpuMs!);
    failures.push(...Object.values(conns).flatMap((r) => r.failures));

    // 2. watch through a burst: it stops by itself once it has counted every expected event.
    const expected = burst * 6 + 2; // created, established, closed on both ends; listener created/closed
    const missing: number[] = [];
    const overflows: number[] = [];
    const rates: number[] = [];
    for (let round = 0; round < watchRounds; round++) {
      const watch = lab.spawn('server', cliArgv(['watch', '--json', '--verbose', '--interval', '0', '--count', String(expected), '--duration', '120']));
      try {
        await watch.waitForOutput('watching MPTCP events', 30_000);
        const started = performance.now();
        const r = await lab.exec('server', ['python3', BURST, String(burst)], { timeoutMs: 120_000 });
        const burstMs = performance.now() - started;
        if (!r.ok) throw new Error(`mptcp-burst.py failed: ${r.stderr.trim()}`);
        const timeout = setTimeout(() => void watch.stop(), 15_000);
        const end = await watch.done;
        clearTimeout(timeout);
        const summaryLine = end.stdout.trim().split('\n').pop() ?? '';
        const summary = JSON.parse(summaryLine) as WatchSummaryJson;
        if (summary.type !== 'summary') throw new Error(`watch printed no summary: ${summaryLine.slice(0, 200)}`);
        missing.push(expected - summary.events);
        overflows.push(summary.overflows);
        rates.push(burst / (burstMs / 1000));
        log(`  watch round ${round + 1}: ${summary.events}/${expected} events, ENOBUFS ${summary.overflows}, burst ${burstMs.toFixed(0)} ms`);
      } catch (error) {
        failures.push(`watch round ${round + 1}: ${(error as Error).message}`);
        await watch.stop().catch(() => undefined);
      }
    }
    if (rates.length > 0) notes.push(`the burst opened and closed ${Math.round(rates.reduce((a, b) => a + b, 0) / rates.length)} connections per second (mean of ${rates.length} rounds)`);
    if (missing.some((m) => m > 0)) notes.push(`watch missed events in ${missing.filter((m) => m > 0).length} of ${missing.length} rounds (ENOBUFS: ${overflows.join(', ')})`);

    return {
      method: `In the lab's namespace, \`test/native/fixtures/mptcp-burst.py N hold\` keeps N MPTCP connections to itself open; ` +
        `${shares.length} such holder${shares.length === 1 ? '' : 's'} (N = ${shares.join(', ')}: two descriptors per connection, under the hard ` +
        `descriptor limit each) keep ${held} connections (${2 * held} MPTCP sockets and as many TCP subflows). \`ss -Mni\` and \`mptcp-doctor conns\` ` +
        `(the package's bin run through its \`#!/usr/bin/env node\` line, default text report, every socket's owner from /proc) ` +
        `alternate for ${config.runs} rounds: wall time of the whole command (Node's start-up included), peak RSS and CPU time (user + system) by GNU time; each conns run must ` +
        `report exactly ${2 * held} MPTCP connections. Then, ${watchRounds} times, \`watch --json --count ${expected}\` subscribes, ` +
        `\`mptcp-burst.py ${burst}\` opens and closes ${burst} connections as fast as Python can, and watch's summary line gives the events ` +
        `received and the ENOBUFS the kernel reported.`,
      figures: [
        figure('conns.ss', `ss -Mni, ${2 * held} MPTCP sockets`, 'ms', wall('ss -Mni')),
        figure('conns.conns', `conns, ${2 * held} MPTCP sockets`, 'ms', wall('conns')),
        figureOf('conns.vs-ss', 'conns / ss -Mni (wall time)', 'x', pairedRatios(rounds.map((i) => conns.conns!.runs[i]!.wallMs), rounds.map((i) => conns['ss -Mni']!.runs[i]!.wallMs)), { op: '<=', value: 4 }),
        figure('memory.conns', `peak RSS of conns over ${2 * held} sockets`, 'MiB', rss('conns'), { op: '<=', value: 120 }),
        figure('cpu.ss', `CPU time (user + system) of ss -Mni, ${2 * held} MPTCP sockets`, 'ms', cpuOf('ss -Mni')),
        figure('cpu.conns', `CPU time (user + system) of conns, ${2 * held} MPTCP sockets`, 'ms', cpuOf('conns')),
        figureOf('cpu.vs-ss', 'conns / ss -Mni (CPU time)', 'x', pairedRatios(cpuOf('conns'), cpuOf('ss -Mni'))),
        figure('watch.missing', `watch: events missed of ${expected} (burst of ${burst})`, 'count', missing, { op: '<=', value: 0 }),
        figure('watch.enobufs', 'watch: ENOBUFS reported', 'count', overflows, { op: '<=', value: 0 }),
      ],
      failures,
      notes,
      raw: {
        conns: Object.fromEntries(Object.entries(conns).map(([k, v]) => [k, v.runs.map((r) => (r ? { wallMs: r.wallMs, cpuMs: r.cpuMs, peakRssBytes: r.peakRssBytes, load: r.load } : null))])),
        holders: shares,
        watch: { expected, missing, overflows, rates },
      },
    };
  },
};
