// Re-renders RESULTS.md from results.json and the current analysis.md, without measuring again
// (after editing analysis.md): tsx bench/render.ts [DIR]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderResults, type BenchResults } from './lib/report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2] ?? here;
const results = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as BenchResults;
results.cli ??= 'dist/src/cli/main.js';
const analysisFile = path.join(here, 'analysis.md');
writeFileSync(path.join(dir, 'RESULTS.md'), renderResults(results, existsSync(analysisFile) ? readFileSync(analysisFile, 'utf8') : undefined));
console.error(`bench: rewrote ${path.join(dir, 'RESULTS.md')}`);
