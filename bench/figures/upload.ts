// Upload: `put` of a big file to vsftpd under mptcpize (anonymous upload), against plain-TCP
// `curl -T` and `mptcpize run curl -T`, from the same tmpfs file to the same server directory.
import path from 'node:path';
import { startVsftpd } from '../../test/lab/index.js';
import { alternate, commonRounds, type Contender } from '../lib/alternate.js';
import { cliArgv } from '../lib/cli.js';
import { checkSize, parseJson, removeOutput, type BenchContext, type BenchGroup } from '../lib/context.js';
import { figure, figureOf, mbPerSecond, MIB } from '../lib/figure.js';
import { writeRandomFile } from '../lib/files.js';
import { pairedRatios } from '../lib/stats.js';
import { CURL_TIMES, rawRun, stallNotes, type TransferJson } from './loopback-download.js';

export const upload: BenchGroup = {
  id: 'upload',
  title: 'Loopback upload to vsftpd under mptcpize',
  async run(ctx: BenchContext) {
    const { lab, config } = ctx;
    const bytes = config.bigBytes;
    const source = path.join(config.tmpfs, 'upload-source.bin');
    ctx.log(`  writing ${bytes / MIB} MiB of random bytes to upload`);
    writeRandomFile(source, bytes);
    const ftp = await startVsftpd(lab, { mptcp: true, address: '127.0.0.1', port: 2102, namespace: 'server', upload: true });
    const notes: string[] = [];
    let notMptcp = 0;
    const target = (name: string, round: number) => `${name.replace(/\W+/g, '-')}-${round}.bin`;
    const landed = (name: string, round: number) => path.join(ftp.uploadDir!, target(name, round));
    const contender = (name: string, argv: (round: number) => string[], rss: boolean, json: boolean): Contender => ({
      name,
      argv,
      rss,
      before: (round) => removeOutput(landed(name, round)),
      verify: (run, round) => {
        if (json) {
          const report = parseJson<TransferJson>(run.stdout);
          if (!report) return 'no JSON report';
          if (!report.allMptcp) notMptcp += 1;
        }
        return checkSize(landed(name, round), bytes);
      },
      after: (round) => removeOutput(landed(name, round)),
    });
    const url = (name: string, round: number) => ftp.url(`upload/${target(name, round)}`);
    const contenders = [
      contender('curl', (r) => ['curl', '-sS', '-T', source, ...CURL_TIMES, url('curl', r)], true, false),
      contender('mptcpize-curl', (r) => ['mptcpize', 'run', 'curl', '-sS', '-T', source, ...CURL_TIMES, url('mptcpize-curl', r)], false, false),
      contender('put', (r) => cliArgv(['put', source, url('put', r), '--json']), true, true),
      // put --tcp: our client on plain TCP, to tell its own cost from MPTCP's (vsftpd's receive side).
      contender('put --tcp', (r) => cliArgv(['put', source, url('put --tcp', r), '--json', '--tcp']), false, false),
    ];
    try {
      const results = await alternate(lab, 'server', contenders, config.runs, { timeoutMs: 300_000, log: ctx.log, stalls: 'server' });
      if (notMptcp > 0) notes.push(`put reported a connection that was not MPTCP in ${notMptcp} run(s)`);
      notes.push(...stallNotes(results, ['put', 'mptcpize-curl', 'curl', 'put --tcp'], bytes));
      const wall = (name: string, rounds: number[]) => rounds.map((i) => results[name]!.runs[i]!.wallMs);
      const all = (name: string) => results[name]!.runs.map((r) => (r ? mbPerSecond(bytes, r.wallMs) : Number.NaN));
      const both = commonRounds(results, ['put', 'curl']);
      const bothM = commonRounds(results, ['put', 'mptcpize-curl']);
      return {
        method: `vsftpd under \`mptcpize run\` on 127.0.0.1 with anonymous upload into tmpfs; plain-TCP \`curl -T\`, ` +
          `\`mptcpize run curl -T\`, \`put --json\` and \`put --tcp\` send the same ${bytes / MIB} MiB random tmpfs file (a new remote name each run, ` +
          `removed afterwards), ${config.runs} rounds alternated. Wall time of the whole command; the size that landed is checked.`,
        figures: [
          figure('upload.put', 'put (wall time)', 'MB/s', all('put')),
          figure('upload.curl', 'plain-TCP curl -T (wall time)', 'MB/s', all('curl')),
          figure('upload.mptcpize-curl', 'mptcpize run curl -T (wall time)', 'MB/s', all('mptcpize-curl')),
          figureOf('upload.vs-curl', 'put / plain-TCP curl -T (wall time)', 'x', pairedRatios(wall('curl', both), wall('put', both)), { op: '>=', value: 1.0 }),
          figure('upload.put-tcp', 'put --tcp, same program on plain TCP (wall time)', 'MB/s', all('put --tcp')),
          figureOf('upload.put-tcp-vs-curl', 'put --tcp / plain-TCP curl -T (wall time): our client without MPTCP', 'x',
            pairedRatios(wall('curl', commonRounds(results, ['put --tcp', 'curl'])), wall('put --tcp', commonRounds(results, ['put --tcp', 'curl'])))),
          figureOf('upload.vs-mptcpize-curl', 'put / mptcpize run curl -T (wall time)', 'x', pairedRatios(wall('mptcpize-curl', bothM), wall('put', bothM))),
          figure('upload.put-transfer-phase', 'put, transfer phase only (its own durationMs)', 'MB/s',
            results.put!.runs.map((r) => (r ? mbPerSecond(bytes, parseJson<TransferJson>(r.stdout)?.durationMs ?? Number.NaN) : Number.NaN))),
          figure('memory.put', `peak RSS of put (${bytes / MIB} MiB upload)`, 'MiB',
            results.put!.runs.map((r) => (r?.peakRssBytes ?? Number.NaN) / MIB), { op: '<=', value: 80 }),
        ],
        failures: Object.values(results).flatMap((r) => r.failures),
        notes,
        raw: { bytes, runs: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.runs.map(rawRun)])) },
      };
    } finally {
      await ftp.stop();
      removeOutput(source);
    }
  },
};
