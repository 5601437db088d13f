// npm run bench [-- --smoke] [--out DIR] [--only ID,ID] [--runs N] [--merge]
// Measures mptcp-doctor against curl, the kernel and its own goals in network namespaces
// (root), and writes RESULTS.md and results.json. --smoke: tiny sizes, output to a temp dir unless
// --out is given (npm test runs it so the benchmarks cannot rot). --merge: the groups run now replace
// theirs in the results.json already there and the others are kept (each group carries its date).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// Everything the lab writes (vsftpd's files, downloads) goes to tmpfs: set before the lab is loaded.
const TMPFS = '/dev/shm';
process.env.TMPDIR = TMPFS;

const { createLab, packageRoot } = await import('../test/lab/index.js');
const { fullConfig, smokeConfig } = await import('./lib/config.js');
const { describeMachine } = await import('./lib/machine.js');
const { renderResults } = await import('./lib/report.js');
type BenchResults = import('./lib/report.js').BenchResults;
type GroupResult = import('./lib/figure.js').GroupResult;
const { GROUPS } = await import('./groups.js');
const { benchCliEntry } = await import('./lib/cli.js');

const here = path.dirname(fileURLToPath(import.meta.url));
function usage(message: string): never {
  console.error(`bench: ${message}\nusage: npm run bench [-- --smoke] [--out DIR] [--only GROUP,GROUP] [--runs N] [--merge]`);
  process.exit(2);
}

let values: { smoke?: boolean; out?: string; only?: string; runs?: string; merge?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
      only: { type: 'string' },
      runs: { type: 'string' },
      merge: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  usage((error as Error).message);
}
if (values.runs !== undefined && !/^[1-9]\d{0,2}$/.test(values.runs)) usage(`--runs ${values.runs}: expected a whole number 1-999`);

if (process.getuid?.() !== 0) {
  console.error('bench: needs root (network namespaces); run with sudo');
  process.exit(3);
}

const outDir = values.out ?? (values.smoke ? mkdtempSync(path.join(os.tmpdir(), 'mptcp-bench-smoke-')) : here);
mkdirSync(outDir, { recursive: true });
const scratch = mkdtempSync(path.join(TMPFS, 'mptcp-bench-'));
// The 1 GiB files go here: remove them on every way out. On Ctrl-C/SIGTERM we exit, and the lab's
// own exit handler then deletes the namespaces and kills what runs in them.
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    console.error(`bench: ${signal}, cleaning up`);
    process.exit(130);
  });
}
const config = values.smoke ? smokeConfig(outDir, scratch) : fullConfig(outDir, scratch);
if (values.runs) config.runs = config.serveRuns = config.verdictRuns = config.startupRuns = Number(values.runs);
if (values.only) config.only = values.only.split(',');
const unknown = (config.only ?? []).filter((id) => !GROUPS.some((g) => g.id === id));
if (unknown.length > 0) {
  console.error(`bench: unknown group ${unknown.join(', ')} (known: ${GROUPS.map((g) => g.id).join(', ')})`);
  process.exit(2);
}

const log = (line: string) => console.error(line);
const machine = describeMachine();
const started = performance.now();
const groups: GroupResult[] = [];
const errors: BenchResults['errors'] = [];
const lab = await createLab({ topology: 'direct', links: 1, ipv6: false });
try {
  for (const group of GROUPS) {
    if (config.only && !config.only.includes(group.id)) continue;
    log(`bench: ${group.title}`);
    const groupStarted = performance.now();
    const loadStart = os.loadavg()[0]!;
    try {
      const result = await group.run({ config, lab, log });
      const load = { start: loadStart, end: os.loadavg()[0]! };
      groups.push({ id: group.id, title: group.title, ...result, durationMs: Math.round(performance.now() - groupStarted), load, measuredAt: new Date().toISOString() });
      log(`  load average ${load.start.toFixed(1)} at the start, ${load.end.toFixed(1)} at the end`);
      for (const f of result.figures) {
        log(`  = ${f.label}: ${f.summary.median.toFixed(2)} ${f.unit} (${f.summary.min.toFixed(2)}-${f.summary.max.toFixed(2)}, n=${f.summary.n})${f.status === 'INFO' ? '' : ` ${f.status}`}`);
      }
    } catch (error) {
      const text = error instanceof Error ? error.stack ?? error.message : String(error);
      log(`  ! ${group.id} could not run: ${text}`);
      errors.push({ id: group.id, title: group.title, error: text });
    }
  }
} finally {
  await lab.destroy();
  rmSync(scratch, { recursive: true, force: true });
}
machine.loadAtEnd = os.loadavg()[0];
const resultsFile = path.join(outDir, 'results.json');
if (values.merge && existsSync(resultsFile)) {
  // Keep the groups not run now from the earlier results, in the groups' own order.
  const earlier = JSON.parse(readFileSync(resultsFile, 'utf8')) as BenchResults;
  const ran = new Set([...groups, ...errors].map((g) => g.id));
  const kept = earlier.groups.filter((g) => !ran.has(g.id)).map((g) => ({ ...g, measuredAt: g.measuredAt ?? earlier.machine.date }));
  const order = (id: string) => GROUPS.findIndex((g) => g.id === id);
  groups.push(...kept);
  groups.sort((a, b) => order(a.id) - order(b.id));
  errors.push(...earlier.errors.filter((e) => !ran.has(e.id)));
}
const results: BenchResults = { schema: 'mptcp-doctor/bench/v1', machine, cli: path.relative(packageRoot, benchCliEntry), config, groups, errors, durationMs: Math.round(performance.now() - started) };
writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
const analysisFile = path.join(here, 'analysis.md');
writeFileSync(path.join(outDir, 'RESULTS.md'), renderResults(results, existsSync(analysisFile) ? readFileSync(analysisFile, 'utf8') : undefined));
log(`bench: wrote ${path.join(outDir, 'RESULTS.md')} and results.json`);
process.exitCode = errors.length > 0 ? 1 : 0;
