// mptcp-doctor probe URL: a real FTP transfer through our MPTCP client, every connection watched,
// and a verdict per connection on whether MPTCP held and, when it did not, the most likely cause.
import { parseFtpUrl } from '../../ftp/index.js';
import { ProbeCannotRunError } from '../../probe/errors.js';
import { ALL_PROBE_MODES, DEFAULT_PROBE_MODES, probeExitCode, runProbe } from '../../probe/probe.js';
import { parseSize } from '../../protocol/size.js';
import { renderProbe } from '../../report/probe.js';
import { timelineFromProbe } from '../../report/timeline/from-probe.js';
import { renderSparklines } from '../../report/timeline/sparkline.js';
import type { ProbeMode } from '../../verdict/evidence.js';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';
import { checkFamily } from '../option-checks.js';
import { checkSharedOptions, ftpSharedOptions, Scrubber, sessionTarget, sessionTimeouts, type FtpSharedOptions } from '../ftp-options.js';
import { claimInterrupts, InterruptedError } from '../interrupt.js';
import { probeProgress, progressBar } from '../progress-bar.js';
import { REPORT_OPTION, reportTarget, writeReport } from '../report-option.js';

const MODE_CHOICES = ['passive', 'active', 'epsv', 'pasv', 'eprt', 'port', 'all'] as const;

/** --mode takes one mode, a comma list, or 'all' (the four data modes: a matrix). */
export function parseModes(values: readonly string[] | undefined): ProbeMode[] {
  if (!values || values.length === 0) return DEFAULT_PROBE_MODES;
  const modes = values.flatMap((v) => String(v).split(',')).map((v) => v.trim().toLowerCase()).filter(Boolean);
  const unknown = modes.filter((m) => !(MODE_CHOICES as readonly string[]).includes(m));
  if (unknown.length > 0) throw new UsageError(`unknown --mode ${unknown.join(',')}: use ${MODE_CHOICES.join(', ')}`);
  const expanded = modes.flatMap((m) => (m === 'all' ? ALL_PROBE_MODES : [m as ProbeMode]));
  return [...new Set(expanded)];
}

interface ProbeOptions extends FtpSharedOptions {
  url: string;
  mode?: string[];
  size: string;
  upload: boolean;
  report?: string;
}

export const probeCommand = defineCommand<ProbeOptions>({
  command: 'probe <url>',
  describe: 'run an FTP transfer over MPTCP and tell, per connection, whether MPTCP held and why not',
  builder: (y) =>
    ftpSharedOptions(
      y
        .positional('url', { type: 'string', demandOption: true, describe: 'ftp://HOST[:PORT]/[FILE] (a server URL probes mptcp-doctor serve)' })
        .option('mode', { type: 'string', array: true, describe: 'passive, active, epsv, pasv, eprt, port, or all (default: passive then active)' })
        .option('size', { type: 'string', default: '1M', describe: 'size of /probe/<size> when the far end is mptcp-doctor serve' })
        .option('upload', { type: 'boolean', default: false, describe: 'also upload SIZE bytes (mptcp-doctor serve only)' })
        .option('report', REPORT_OPTION),
      { timeout: 15, idleTimeout: 15, maxTime: 60, maxTimeScope: 'each run (one per data mode)' },
    ) as never,
  async run(options, output) {
    checkSharedOptions(options);
    const url = parseFtpUrl(options.url);
    checkFamily(url.host, options);
    const modes = parseModes(options.mode);
    const size = parseSize(options.size);
    if (size === undefined || size <= 0) throw new UsageError(`bad --size "${options.size}": use bytes or a size such as 1M, 10M, 1G`);
    const report = await reportTarget(options.report);
    const path = url.isDirectory || url.path === '' ? undefined : url.path;
    if (options.upload && path) throw new UsageError('--upload needs a server URL (mptcp-doctor serve), not a file');
    // A server may echo the password in a reply that ends up in evidence or an error.
    const scrubber = new Scrubber();
    const target = { ...(await sessionTarget(url, options, scrubber)), ...(path ? { path } : {}) };
    const timeouts = sessionTimeouts(options);
    // On a terminal, runs that take more than a second show their progress (the size is known
    // when the far end is serve: SIZE bytes down, and as many up with --upload).
    const progress = probeProgress(await progressBar(output, 'probe'), () => (path ? undefined : size * (options.upload ? 2 : 1)));
    const interrupt = claimInterrupts();
    try {
      const result = await runProbe({
        target,
        display: url.display,
        modes,
        size,
        upload: options.upload,
        timeouts: { connectMs: timeouts.connectMs, replyMs: timeouts.replyMs, idleMs: timeouts.idleMs, runMs: timeouts.maxMs ?? 60_000 },
        signal: interrupt.signal,
        onProgress: (mode, bytes) => progress.update(mode, bytes),
      });
      progress.stop();
      // Stopped by Ctrl-C or SIGTERM: the sockets are closed; a partial report would mislead.
      if (interrupt.signal.aborted) throw interrupt.signal.reason as InterruptedError;
      // The time series the pictures are drawn from (docs/report.md): in the JSON, the sparklines and the report.
      const timeline = timelineFromProbe(result);
      const sparklines = options.json ? '' : renderSparklines(timeline, output.color, options.verbose);
      const text = options.json ? JSON.stringify({ ...result, timeline }, null, 2) : renderProbe(result, output.color, options.verbose) + (sparklines ? `\n\n${sparklines}` : '');
      output.out(scrubber.scrub(text));
      if (report) await writeReport(report, timeline, (html) => scrubber.scrub(html));
      return probeExitCode(result);
    } catch (error) {
      if (error instanceof ProbeCannotRunError) throw new ProbeCannotRunError(scrubber.scrub(error.message), { cause: error.cause });
      throw error;
    } finally {
      progress.stop();
      interrupt.release();
    }
  },
});
