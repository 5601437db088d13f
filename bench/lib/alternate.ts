// Commands compared by running them alternately, round after round, in the same namespace: the
// order flips every round (A B C, C B A, ...) so neither always runs on a machine warmed by the other.
import type { Lab, NamespaceRef } from '../../test/lab/index.js';
import { readStallCounters, stallDelta } from './stalls.js';
import { failureText, timedRun, type Runner, type TimedRun } from './timed.js';

export interface Contender {
  name: string;
  argv: (round: number) => string[];
  /** run under GNU time for the peak RSS */
  rss?: boolean;
  /** exit codes that count as success (default 0 only: `check` exits 1 when a check fails) */
  acceptExit?: number[];
  /** called before each run, untimed (remove the previous output) */
  before?: (round: number) => void | Promise<void>;
  /** after a successful exit: a reason when the run still did not do its job (wrong size) */
  verify?: (run: TimedRun, round: number) => string | undefined | Promise<string | undefined>;
  /** called after each run, untimed (clean up) */
  after?: (round: number) => void | Promise<void>;
}

export interface ContenderRuns {
  /** successful runs, in round order; `undefined` where the run failed */
  runs: Array<TimedRun | undefined>;
  failures: string[];
}

export async function alternate(
  lab: Runner,
  ns: NamespaceRef,
  contenders: readonly Contender[],
  rounds: number,
  options: {
    timeoutMs: number;
    log?: (line: string) => void;
    /** read the stall counters of this namespace around every run (kept in run.stalls) */
    stalls?: NamespaceRef;
  },
): Promise<Record<string, ContenderRuns>> {
  const results: Record<string, ContenderRuns> = Object.fromEntries(contenders.map((c) => [c.name, { runs: [], failures: [] }]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const contender of order) {
      await contender.before?.(round);
      const before = options.stalls ? await readStallCounters(lab as Lab, options.stalls) : undefined;
      const run = await timedRun(lab, ns, contender.argv(round), { timeoutMs: options.timeoutMs, rss: contender.rss });
      if (before) run.stalls = stallDelta(before, await readStallCounters(lab as Lab, options.stalls!));
      const exitOk = contender.acceptExit ? run.exitCode !== undefined && contender.acceptExit.includes(run.exitCode) : run.ok;
      let problem = exitOk ? undefined : failureText(run);
      if (!problem && contender.verify) problem = await contender.verify(run, round);
      await contender.after?.(round);
      const slot = results[contender.name]!;
      slot.runs[round] = problem ? undefined : run;
      if (problem) slot.failures.push(`${contender.name} round ${round + 1}: ${problem}`);
      options.log?.(`  ${contender.name.padEnd(14)} round ${round + 1}: ${problem ? `FAILED ${problem}` : `${run.wallMs.toFixed(0)} ms, cpu ${run.cpuMs?.toFixed(0) ?? '?'} ms`} (load ${run.load.toFixed(1)})${run.stalls ? ` ${JSON.stringify(run.stalls)}` : ''}`);
    }
  }
  return results;
}

/** Wall times of the rounds where every named contender succeeded (ratios need both sides). */
export function commonRounds(results: Record<string, ContenderRuns>, names: readonly string[]): number[] {
  const rounds = Math.max(...names.map((n) => results[n]!.runs.length));
  const good: number[] = [];
  for (let i = 0; i < rounds; i++) if (names.every((n) => results[n]!.runs[i] !== undefined)) good.push(i);
  return good;
}
