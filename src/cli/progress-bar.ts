// A progress bar on a TTY stderr (bytes, rate, ETA); a no-op elsewhere.
import type { Output } from './output.js';

export interface ProgressBar {
  start(total: number | undefined, offset: number): void;
  update(done: number): void;
  stop(): void;
}

/**
 * A progress bar on a TTY stderr (bytes, rate, ETA); a no-op elsewhere. cli-progress and the
 * renderers load only when a bar is shown: scripts and --json runs skip their start-up cost.
 */
export async function progressBar(output: Output, label: string): Promise<ProgressBar> {
  if (!output.progress) return { start() {}, update() {}, stop() {} };
  const [{ default: cliProgress }, { formatBytes }] = await Promise.all([import('cli-progress'), import('../report/units.js')]);
  let bar: InstanceType<typeof cliProgress.SingleBar> | undefined;
  let startedAt = Date.now();
  let base = 0;
  let known = true;
  return {
    start(total, offset) {
      startedAt = Date.now();
      base = offset;
      known = total !== undefined;
      bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
          barsize: 24,
          format: (opts, params, payload: { done: string; rate: string; eta: string }) =>
            `${label} ${known ? cliProgress.Format.BarFormat(params.progress, opts) : ''} ${payload.done} ${payload.rate} ${payload.eta}`,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total ?? 1, offset, { done: formatBytes(offset), rate: '', eta: '' });
    },
    update(done) {
      if (!bar) return;
      const seconds = (Date.now() - startedAt) / 1000;
      const rate = seconds > 0 ? (done - base) / seconds : 0;
      const total = bar.getTotal();
      const eta = known && rate > 0 ? `ETA ${Math.max(0, Math.round((total - done) / rate))} s` : '';
      bar.update(known ? done : 0, { done: formatBytes(done), rate: `${formatBytes(Math.round(rate))}/s`, eta });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

