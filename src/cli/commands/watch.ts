// mptcp-doctor watch: a live timeline of the kernel's MPTCP events (needs CAP_NET_ADMIN) and,
// every interval, the MPTcpExt counters that moved, explained in words. Ctrl-C ends it.
import { runWatch } from '../../kernel/watch-timeline.js';
import { formatWatchLine, summaryJsonLine, summaryText, watchJsonLine } from '../../report/watch.js';
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { claimInterrupts } from '../interrupt.js';
import { checkInteger, checkSeconds } from '../option-checks.js';

export const watchCommand = defineCommand({
  command: 'watch',
  describe: 'follow MPTCP events and counters live (events need root); --json prints NDJSON',
  builder: (y) =>
    y
      .option('interval', { type: 'number', default: 1, describe: 'seconds between counter reports (0: no counters)' })
      .option('duration', { type: 'number', describe: 'stop after this many seconds' })
      .option('count', { type: 'number', describe: 'stop after this many events (counter reports when events are not available)' })
      .option('processes', { type: 'boolean', default: true, describe: 'name the program of each connection (--no-processes to skip the lookups)' }),
  async run(options, output) {
    checkSeconds('interval', options.interval, 3600, { allowZero: true });
    checkSeconds('duration', options.duration, 31 * 86400);
    checkInteger('count', options.count, 1, Number.MAX_SAFE_INTEGER);
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
          signal: stop.signal,
          onReady: (events) => {
            if (options.verbose) output.log(`watching ${events ? 'MPTCP events and ' : ''}the MPTcpExt counters`);
          },
        },
        (record) => {
          if (record.type === 'events-unavailable') output.log(`mptcp-doctor: ${record.message}: watching the MPTcpExt counters only`);
          if (stdoutGone) return;
          if (options.json) output.out(watchJsonLine(record));
          else if (record.type !== 'events-unavailable') output.out(formatWatchLine(record, output.color));
        },
      );
      if (stdoutGone) return ExitCode.ok;
      if (options.json) output.out(summaryJsonLine(summary));
      else output.log(summaryText(summary));
      return ExitCode.ok;
    } finally {
      process.stdout.off('error', onStdoutError);
      interrupt.signal.removeEventListener('abort', onSignal);
      interrupt.release();
    }
  },
});
