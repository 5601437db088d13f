// Time to a verdict: `check` and `probe` (1M from serve over loopback) wall time as a ratio to
// `node -e 0` (node's own start-up) measured alternately in the same run.
import { alternate, commonRounds, type Contender } from '../lib/alternate.js';
import { cliArgv } from '../lib/cli.js';
import type { BenchContext, BenchGroup } from '../lib/context.js';
import { figure, figureOf } from '../lib/figure.js';
import { startServe } from '../lib/serve.js';
import { pairedRatios } from '../lib/stats.js';

export const verdictTime: BenchGroup = {
  id: 'verdict-time',
  title: 'Time to a verdict (check, probe)',
  async run(ctx: BenchContext) {
    const { lab, config } = ctx;
    const node: Contender = { name: 'node -e 0', argv: () => [process.execPath, '-e', '0'] };
    // check exits 1 when a check fails (a fresh namespace has no endpoints): still a verdict.
    // The CLI's own start-up: node, yargs and the default command's modules, no work.
    const version: Contender = { name: '--version', argv: () => cliArgv(['--version']) };
    const check: Contender = { name: 'check', argv: () => cliArgv(['check', '--json']), acceptExit: [0, 1] };
    const serve = await startServe(lab, 2122);
    const probe: Contender = { name: 'probe', argv: () => cliArgv(['probe', serve.url(), '--size', '1M', '--json']) };
    try {
      const checks = await alternate(lab, 'server', [node, version, check], config.verdictRuns, { timeoutMs: 60_000, log: ctx.log });
      const probes = await alternate(lab, 'server', [node, probe], config.verdictRuns, { timeoutMs: 60_000, log: ctx.log });
      const ratio = (results: typeof checks, name: string) => {
        const rounds = commonRounds(results, [name, 'node -e 0']);
        return pairedRatios(rounds.map((i) => results[name]!.runs[i]!.wallMs), rounds.map((i) => results['node -e 0']!.runs[i]!.wallMs));
      };
      const ms = (results: typeof checks, name: string) => results[name]!.runs.map((r) => r?.wallMs ?? Number.NaN);
      const cpu = (results: typeof checks, name: string) => results[name]!.runs.map((r) => r?.cpuMs ?? Number.NaN);
      // The same ratio in CPU time (user + sys): on a shared machine wall time measures the neighbours too.
      const cpuRatio = (results: typeof checks, name: string) => {
        const rounds = commonRounds(results, [name, 'node -e 0']);
        return pairedRatios(rounds.map((i) => results[name]!.runs[i]!.cpuMs ?? Number.NaN), rounds.map((i) => results['node -e 0']!.runs[i]!.cpuMs ?? Number.NaN));
      };
      return {
        method: `In the lab's namespace: \`node -e 0\` alternated with \`mptcp-doctor check --json\` (${config.verdictRuns} rounds), then with ` +
          `\`mptcp-doctor probe ftp://127.0.0.1:2122/ --size 1M --json\` against \`serve\` in the same namespace (default modes: passive ` +
          `then active). Wall time of the whole command; ratio per round to node's own start-up; the same in CPU time ` +
          `(user + sys of the command and the children it waits for, GNU time).`,
        figures: [
          figure('verdict-time.node', 'node -e 0', 'ms', [...ms(checks, 'node -e 0'), ...ms(probes, 'node -e 0')]),
          figure('verdict-time.node-cpu', 'node -e 0, CPU time', 'ms', [...cpu(checks, 'node -e 0'), ...cpu(probes, 'node -e 0')]),
          figure('verdict-time.version', 'mptcp-doctor --version (start-up: node + our modules)', 'ms', ms(checks, '--version')),
          figure('verdict-time.check', 'check', 'ms', ms(checks, 'check')),
          figure('verdict-time.check-cpu', 'check, CPU time (its `ip` children included)', 'ms', cpu(checks, 'check')),
          figureOf('verdict-time.check-ratio', 'check / node -e 0', 'x', ratio(checks, 'check'), { op: '<=', value: 2.5 }),
          figureOf('verdict-time.check-cpu-ratio', 'check / node -e 0, CPU time', 'x', cpuRatio(checks, 'check')),
          figure('verdict-time.probe', 'probe of 1M from serve', 'ms', ms(probes, 'probe')),
          figure('verdict-time.probe-cpu', 'probe, CPU time', 'ms', cpu(probes, 'probe')),
          figureOf('verdict-time.probe-ratio', 'probe / node -e 0', 'x', ratio(probes, 'probe'), { op: '<=', value: 3 }),
          figureOf('verdict-time.probe-cpu-ratio', 'probe / node -e 0, CPU time', 'x', cpuRatio(probes, 'probe')),
        ],
        failures: [...Object.values(checks), ...Object.values(probes)].flatMap((r) => r.failures),
        notes: [],
        raw: {
          check: Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, v.runs.map((r) => (r ? { wallMs: r.wallMs, cpuMs: r.cpuMs, load: r.load } : null))])),
          probe: Object.fromEntries(Object.entries(probes).map(([k, v]) => [k, v.runs.map((r) => (r ? { wallMs: r.wallMs, cpuMs: r.cpuMs, load: r.load } : null))])),
        },
      };
    } finally {
      await serve.stop();
    }
  },
};
