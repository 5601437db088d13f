// mptcp-doctor watch: a live timeline of the kernel's MPTCP events (needs CAP_NET_ADMIN) and,
// every interval, the MPTcpExt counters that moved, explained in words. Ctrl-C ends it.
import { hostname } from 'node:os';
import { runWatch, type SubflowLook, type WatchRecord } from '../../kernel/watch-timeline.js';
import { formatWatchLine, summaryJsonLine, summaryText, watchJsonLine } from '../../report/watch.js';
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { claimInterrupts } from '../interrupt.js';
import { checkInteger, checkSeconds } from '../option-checks.js';
import { REPORT_OPTION, reportTarget, writeReport } from '../report-option.js';

/** How often --report looks at the subflows' bytes when --interval 0 turns the counters off. */
const DEFAULT_LOOK_MS = 1000;

export const watchCommand = defineCommand({
  command: 'watch',
  describe: 'follow MPTCP events and counters live (events need root); --json prints NDJSON',
  builder: (y) =>
    y
      .option('interval', { type: 'number', default: 1, describe: 'seconds between counter reports (0: no counters)' })
      .option('duration', { type: 'number', describe: 'stop after this many seconds' })
      .option('count', { type: 'number', describe: 'stop after this many events (counter reports when events are not available)' })
      .option('processes', { type: 'boolean', default: true, describe: 'name the program of each connection (--no-processes to skip the lookups)' })
      .option('report', { ...REPORT_OPTION, describe: 'when the watch ends, write a self-contained HTML report (per connection: subflows, their bytes every interval, the events) to FILE' }),
  async run(options, output) {
    checkSeconds('interval', options.interval, 3600, { allowZero: true });
    checkSeconds('duration', options.duration, 31 * 86400);
    checkInteger('count', options.count, 1, Number.MAX_SAFE_INTEGER);
    const report = await reportTarget(options.report);
    // With --report: every record kept for the page, and a look at the subflows' bytes per interval.
    const records: WatchRecord[] = [];
    const looks: SubflowLook[] = [];
    const lookIntervalMs = Math.round(options.interval * 1000) || DEFAULT_LOOK_MS;
    const startedAt = new Date();
    const stop = new AbortController();
    // Ctrl-C and SIGTERM end the watch with its summary; the entry point then ends the process by
    // that signal (130, 143).
    const interrupt = claimInterrupts();
    const onSignal = () => stop.abort();
    // A reader that goes away (`watch --json | head`) ends the watch, like a signal.
    let stdoutGone = false;
    const onStdoutError = (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') return;
      stdoutGone = true;
      stop.abort();
    };
    interrupt.signal.addEventListener('abort', onSignal, { once: true });
    process.stdout.on('error', onStdoutError);
    try {
      const summary = await runWatch(
        {
          intervalMs: Math.round(options.interval * 1000),
          ...(options.duration !== undefined ? { durationMs: Math.round(options.duration * 1000) } : {}),
          ...(options.count !== undefined ? { count: options.count } : {}),
          processes: options.processes,
          ...(report ? { subflowLooks: { intervalMs: lookIntervalMs, onLook: (look: SubflowLook) => looks.push(look) } } : {}),
          signal: stop.signal,
          onReady: (events) => {
            if (options.verbose) output.log(`watching ${events ? 'MPTCP events and ' : ''}the MPTcpExt counters`);
          },
        },
        (record) => {
          if (report) records.push(record);
          if (record.type === 'events-unavailable') output.log(`mptcp-doctor: ${record.message}: watching the MPTcpExt counters only`);
          if (stdoutGone) return;
          if (options.json) output.out(watchJsonLine(record));
          else if (record.type !== 'events-unavailable') output.out(formatWatchLine(record, output.color));
        },
      );
      const endedAt = new Date();
      if (!stdoutGone) {
        if (options.json) output.out(summaryJsonLine(summary));
        else output.log(summaryText(summary));
      }
      if (report) {
        // Loaded only now: the adapter and the charting library cost nothing to a watch without --report.
        const { timelineFromWatch } = await import('../../report/timeline/from-watch.js');
        const timeline = timelineFromWatch({
          target: hostname(), startedAt, endedAt, records, looks, summary,
          ...(summary.eventsAvailable ? { lookIntervalMs } : {}),
        });
        await writeReport(report, timeline, (html) => html);
      }
      return ExitCode.ok;
    } finally {
      process.stdout.off('error', onStdoutError);
      interrupt.signal.removeEventListener('abort', onSignal);
      interrupt.release();
    }
  },
});
