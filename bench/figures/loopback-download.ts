// Loopback download: `get` of a big file from vsftpd under mptcpize, against plain-TCP curl and
// `mptcpize run curl`, all in one namespace over 127.0.0.1, each writing to the same tmpfs file.
import { statfsSync } from 'node:fs';
import path from 'node:path';
import { startVsftpd } from '../../test/lab/index.js';
import { alternate, commonRounds, type Contender } from '../lib/alternate.js';
import { cliArgv } from '../lib/cli.js';
import { checkSize, parseJson, removeOutput, type BenchContext, type BenchGroup } from '../lib/context.js';
import { figure, figureOf, mbPerSecond, MIB } from '../lib/figure.js';
import { median, pairedRatios } from '../lib/stats.js';
import { stalled } from '../lib/stalls.js';
import type { TimedRun } from '../lib/timed.js';

const TMPFS_MAGIC = 0x01021994;

export interface TransferJson {
  bytes: number;
  durationMs: number;
  allMptcp: boolean;
  mode: string | null;
  connections: Array<{ role: string; report?: { state?: string; subflows?: { total?: number } } }>;
}

/** curl -w: the times that let us split connection+login from the transfer itself. */
export const CURL_TIMES = ['-w', '%{time_pretransfer} %{time_total} %{size_download} %{size_upload}\\n'];

export function curlTransferMs(run: TimedRun): number | undefined {
  const [pre, total] = run.stdout.trim().split(/\s+/).map(Number);
  return pre !== undefined && total !== undefined && Number.isFinite(pre) && Number.isFinite(total) ? (total - pre) * 1000 : undefined;
}

export function onTmpfs(dir: string): boolean {
  try {
    return Number(statfsSync(dir).type) === TMPFS_MAGIC;
  } catch {
    return false;
  }
}

export function transferFigures(
  prefix: string,
  ours: string,
  results: Awaited<ReturnType<typeof alternate>>,
  bytes: number,
  curlName: string,
): ReturnType<typeof figure>[] {
  const rounds = commonRounds(results, [ours, curlName]);
  const oursMs = rounds.map((i) => parseJson<TransferJson>(results[ours]!.runs[i]!.stdout)?.durationMs ?? Number.NaN);
  const curlMs = rounds.map((i) => curlTransferMs(results[curlName]!.runs[i]!) ?? Number.NaN);
  return [
    figure(`${prefix}.transfer-phase.${ours}`, `${ours}, transfer phase only (its own durationMs)`, 'MB/s', oursMs.map((ms) => mbPerSecond(bytes, ms))),
    figure(`${prefix}.transfer-phase.${curlName}`, `${curlName}, transfer phase only (time_total - time_pretransfer)`, 'MB/s', curlMs.map((ms) => mbPerSecond(bytes, ms))),
    figureOf(`${prefix}.transfer-phase.ratio`, `${ours} / ${curlName}, transfer phase only`, 'x', pairedRatios(curlMs, oursMs)),
  ];
}

export const loopbackDownload: BenchGroup = {
  id: 'loopback-download',
  title: 'Loopback download from vsftpd under mptcpize',
  async run(ctx: BenchContext) {
    const { lab, config } = ctx;
    const bytes = config.bigBytes;
    ctx.log(`  writing ${bytes / MIB} MiB of random bytes for vsftpd`);
    const ftp = await startVsftpd(lab, { mptcp: true, address: '127.0.0.1', port: 2101, namespace: 'server', files: { 'big.bin': bytes } });
    const out = path.join(config.tmpfs, 'download.bin');
    const url = ftp.url('big.bin');
    const notes: string[] = [];
    if (!onTmpfs(config.tmpfs)) notes.push(`${config.tmpfs} is not tmpfs: disk writes are part of these times`);
    const verifySize = () => checkSize(out, bytes);
    const curl = (mptcpize: boolean): Contender => ({
      name: mptcpize ? 'mptcpize-curl' : 'curl',
      argv: () => [...(mptcpize ? ['mptcpize', 'run'] : []), 'curl', '-sS', '-o', out, ...CURL_TIMES, url],
      rss: true,
      before: () => removeOutput(out),
      verify: verifySize,
    });
    let notMptcp = 0;
    // get --tcp: the same program on plain TCP, which separates our client's own cost from MPTCP's.
    const getTcp: Contender = {
      name: 'get --tcp',
      argv: () => cliArgv(['get', url, out, '--json', '--tcp']),
      before: () => removeOutput(out),
      verify: verifySize,
    };
    const get: Contender = {
      name: 'get',
      argv: () => cliArgv(['get', url, out, '--json']),
      rss: true,
      before: () => removeOutput(out),
      verify: (run) => {
        const json = parseJson<TransferJson>(run.stdout);
        if (!json) return 'no JSON report';
        if (!json.allMptcp) notMptcp += 1;
        return verifySize();
      },
    };
    try {
      const results = await alternate(lab, 'server', [curl(false), curl(true), get, getTcp], config.runs, { timeoutMs: 300_000, log: ctx.log, stalls: 'server' });
      removeOutput(out);
      if (notMptcp > 0) notes.push(`get reported a connection that was not MPTCP in ${notMptcp} run(s)`);
      notes.push(...stallNotes(results, ['get', 'mptcpize-curl', 'curl', 'get --tcp'], bytes));
      const wall = (name: string, rounds?: number[]) =>
        (rounds ?? results[name]!.runs.map((_, i) => i)).map((i) => results[name]!.runs[i]?.wallMs ?? Number.NaN);
      const both = commonRounds(results, ['get', 'curl']);
      const bothM = commonRounds(results, ['get', 'mptcpize-curl']);
      const figures = [
        figure('loopback-download.get', 'get (wall time, whole command)', 'MB/s', wall('get').map((ms) => mbPerSecond(bytes, ms))),
        figure('loopback-download.curl', 'plain-TCP curl (wall time)', 'MB/s', wall('curl').map((ms) => mbPerSecond(bytes, ms))),
        figure('loopback-download.mptcpize-curl', 'mptcpize run curl (wall time)', 'MB/s', wall('mptcpize-curl').map((ms) => mbPerSecond(bytes, ms))),
        figureOf('loopback-download.vs-curl', 'get / plain-TCP curl (wall time)', 'x', pairedRatios(wall('curl', both), wall('get', both)), { op: '>=', value: 1.0 }),
        figure('loopback-download.get-tcp', 'get --tcp, same program on plain TCP (wall time)', 'MB/s', wall('get --tcp').map((ms) => mbPerSecond(bytes, ms))),
        figureOf('loopback-download.get-tcp-vs-curl', 'get --tcp / plain-TCP curl (wall time): our client without MPTCP', 'x',
          pairedRatios(wall('curl', commonRounds(results, ['get --tcp', 'curl'])), wall('get --tcp', commonRounds(results, ['get --tcp', 'curl'])))),
        figureOf('loopback-download.vs-mptcpize-curl', 'get / mptcpize run curl (wall time)', 'x', pairedRatios(wall('mptcpize-curl', bothM), wall('get', bothM)), { op: '>=', value: 5 }),
        ...transferFigures('loopback-download', 'get', results, bytes, 'curl'),
        figure('memory.get', `peak RSS of get (${bytes / MIB} MiB download)`, 'MiB',
          results.get!.runs.map((r) => (r?.peakRssBytes ?? Number.NaN) / MIB), { op: '<=', value: 80 }),
        figure('memory.curl-download', 'peak RSS of curl (same download, for scale)', 'MiB',
          results.curl!.runs.map((r) => (r?.peakRssBytes ?? Number.NaN) / MIB)),
      ];
      return {
        method: `One namespace (the server namespace of a \`direct\` lab, so the host's MPTCP settings play no part): vsftpd under ` +
          `\`mptcpize run\` on 127.0.0.1 serves a ${bytes / MIB} MiB random file from tmpfs; plain-TCP curl, \`mptcpize run curl\` and ` +
          `\`mptcp-doctor get --json\` (and \`get --tcp\`, to tell our client's cost from MPTCP's) download it to the same tmpfs file ` +
          `(deleted before each run), ${config.runs} rounds, order ` +
          `flipped every round. Wall time of the whole command (process start to exit, node start-up included for get); ` +
          `"transfer phase" excludes start-up, connection and login. Ratios are per round, faster is larger. Every run's size is checked.`,
        figures,
        failures: Object.values(results).flatMap((r) => r.failures),
        notes,
        raw: { bytes, url, runs: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.runs.map(rawRun)])) },
      };
    } finally {
      await ftp.stop();
    }
  },
};

/**
 * Per contender: how many runs had MPTCP-level retransmissions in the namespace (the kernel's
 * receive-window stalls, docs/mptcp-facts.md), with the counters summed, and the median throughput
 * of the runs with and without them.
 */
export function stallNotes(results: Awaited<ReturnType<typeof alternate>>, names: readonly string[], bytes: number): string[] {
  const notes: string[] = [];
  for (const name of names) {
    const runs = (results[name]?.runs ?? []).filter((r): r is TimedRun => r !== undefined && r.stalls !== undefined);
    if (runs.length === 0) continue;
    const hit = runs.filter((r) => stalled(r.stalls));
    const rate = (list: TimedRun[]) => (list.length > 0 ? `${median(list.map((r) => mbPerSecond(bytes, r.wallMs))).toFixed(0)} MB/s` : 'none');
    const sum = (key: string) => runs.reduce((n, r) => n + (r.stalls?.[key] ?? 0), 0);
    const clean = runs.filter((r) => !stalled(r.stalls));
    // What one MPTCP-level retransmission costs: extra wall time over the unstalled median, per retransmission.
    const base = clean.length >= 2 ? median(clean.map((r) => r.wallMs)) : undefined;
    const perRetrans = base === undefined ? [] : hit.filter((r) => (r.stalls?.MPTCPRetrans ?? 0) > 0).map((r) => (r.wallMs - base) / r.stalls!.MPTCPRetrans!);
    notes.push(`${name}: MPTCP-level retransmissions in ${hit.length} of ${runs.length} runs (MPTCPRetrans ${sum('MPTCPRetrans')}, DuplicateData ${sum('DuplicateData')}, WinProbe ${sum('WinProbe')}, ` +
      `TCPToZeroWindowAdv ${sum('TCPToZeroWindowAdv')} in all); median wall throughput of those runs ${rate(hit)}, ` +
      `of the others ${rate(clean)}` +
      `${perRetrans.length > 0 ? `; each MPTCP-level retransmission cost about ${median(perRetrans).toFixed(0)} ms of wall time` : ''}`);
  }
  return notes;
}

/** What results.json keeps of a run. */
export function rawRun(run: TimedRun | undefined): Record<string, unknown> | null {
  if (!run) return null;
  const json = parseJson<TransferJson>(run.stdout);
  return {
    wallMs: Math.round(run.wallMs * 10) / 10,
    ...(run.cpuMs !== undefined ? { cpuMs: Math.round(run.cpuMs) } : {}),
    load: run.load,
    ...(run.peakRssBytes !== undefined ? { peakRssBytes: run.peakRssBytes } : {}),
    ...(run.stalls ? { stalls: run.stalls } : {}),
    ...(json && typeof json.durationMs === 'number'
      ? { selfMs: json.durationMs, allMptcp: json.allMptcp, mode: json.mode, connections: json.connections?.map((c) => `${c.role}:${c.report?.state ?? '?'}/${c.report?.subflows?.total ?? '?'}`) }
      : run.argv.includes('curl') ? { curlTimes: run.stdout.trim() } : {}),
  };
}
