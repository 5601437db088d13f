// RESULTS.md: the machine, one table of every figure (median, spread, goal, PASS/MISS), then per
// group how it was measured, its failures and notes. results.json keeps the raw runs.
import type { MachineDescription } from './machine.js';
import type { BenchConfig } from './config.js';
import type { Figure, GroupResult } from './figure.js';

export interface BenchResults {
  schema: 'mptcp-doctor/bench/v1';
  machine: MachineDescription;
  /** the CLI entry measured (package.json's bin), relative to the package root */
  cli: string;
  config: BenchConfig;
  groups: GroupResult[];
  /** groups that could not run at all, with the reason */
  errors: Array<{ id: string; title: string; error: string }>;
  durationMs: number;
}

function number(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'x' || unit === 'of sum') return value.toFixed(2);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function goalText(f: Figure): string {
  return f.goal ? `${f.goal.op} ${number(f.goal.value, f.unit)}` : '';
}

function loadText(load: GroupResult['load']): string {
  return load ? `${load.start.toFixed(1)} - ${load.end.toFixed(1)}` : '';
}

/** "2026-11-30 10:52" of a group measured in another run than the header's, else nothing. */
function whenText(group: GroupResult, runDate: string): string {
  return group.measuredAt && group.measuredAt.slice(0, 16) !== runDate.slice(0, 16) ? group.measuredAt.slice(0, 16).replace('T', ' ') : '';
}

function figureRow(group: GroupResult, f: Figure, runDate: string): string {
  const s = f.summary;
  const spread = s.n > 1 ? `${number(s.min, f.unit)} - ${number(s.max, f.unit)}` : '';
  return `| ${group.id} | ${f.label} | ${number(s.median, f.unit)} ${f.unit} | ${spread} | ${s.n} | ${goalText(f)} | ${f.status === 'INFO' ? '' : f.status} | ${[whenText(group, runDate), loadText(group.load)].filter(Boolean).join(', ')} |`;
}

/** `analysis` is the hand-written bench/analysis.md, appended so that every run keeps it. */
export function renderResults(results: BenchResults, analysis?: string): string {
  const m = results.machine;
  const lines: string[] = [];
  lines.push('# mptcp-doctor benchmarks');
  lines.push('');
  lines.push(`Written by \`npm run bench\`${results.config.smoke ? ' (SMOKE MODE: tiny sizes, not meaningful figures)' : ''} on ${m.date}, ` +
    `in ${(results.durationMs / 1000).toFixed(0)} s. See bench/README.md for what each figure means; raw runs are in results.json.`);
  lines.push('');
  lines.push('| machine | |');
  lines.push('| --- | --- |');
  lines.push(`| CPU | ${m.cpuModel}, ${m.cores} cores |`);
  lines.push(`| memory | ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB |`);
  lines.push(`| kernel | ${m.kernel} |`);
  lines.push(`| node | ${m.node} |`);
  lines.push(`| CLI measured | \`${results.cli}\` |`);
  lines.push(`| load average (1 min) at start / end | ${m.loadAtStart.toFixed(2)} / ${m.loadAtEnd?.toFixed(2) ?? '?'} |`);
  lines.push('');
  const all = results.groups.flatMap((g) => g.figures);
  const missed = all.filter((f) => f.status === 'MISS');
  const failures = results.groups.reduce((n, g) => n + g.failures.length, 0);
  lines.push(`Goals: ${all.filter((f) => f.status === 'PASS').length} PASS, ${missed.length} MISS` +
    `${missed.length > 0 ? ` (${missed.map((f) => f.id).join(', ')})` : ''}; failed runs: ${failures}` +
    `${results.errors.length > 0 ? `; groups that could not run: ${results.errors.map((e) => e.id).join(', ')}` : ''}.`);
  lines.push('');
  const merged = results.groups.some((g) => whenText(g, m.date) !== '');
  lines.push('"load" is the 1-minute load average at the start and end of the figure\'s group; CPU times are user + system (GNU time), which a busy machine distorts less than wall time.' +
    (merged ? ' Groups run at another time than the header\'s (`--merge`) have their date (UTC) there too.' : ''));
  lines.push('');
  lines.push('| group | figure | median | min - max | runs | goal | | load |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const g of results.groups) for (const f of g.figures) lines.push(figureRow(g, f, m.date));
  lines.push('');
  for (const g of results.groups) {
    lines.push(`## ${g.title}`);
    lines.push('');
    const when = whenText(g, m.date);
    lines.push(`${when ? `Measured ${when} UTC. ` : ''}${g.method}${g.load ? ` Load average (1 min, 2 cores shared with other work) ${loadText(g.load)} during the group, ${(g.durationMs / 1000).toFixed(0)} s.` : ''}`);
    lines.push('');
    if (g.notes.length > 0) {
      for (const n of g.notes) lines.push(`- ${n}`);
      lines.push('');
    }
    if (g.failures.length > 0) {
      lines.push(`Failed runs (${g.failures.length}):`);
      lines.push('');
      for (const f of g.failures.slice(0, 10)) lines.push(`- ${f.replace(/\n/g, ' ')}`);
      if (g.failures.length > 10) lines.push(`- ... and ${g.failures.length - 10} more (results.json)`);
      lines.push('');
    }
  }
  for (const e of results.errors) {
    lines.push(`## ${e.title}: could not run`);
    lines.push('');
    lines.push('```');
    lines.push(e.error);
    lines.push('```');
    lines.push('');
  }
  if (analysis) lines.push(analysis.trim(), '');
  return `${lines.join('\n')}\n`;
}
