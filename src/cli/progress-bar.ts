// A progress bar on a TTY stderr; a no-op elsewhere (docs/architecture.md, "Conventions"). When the
// size is known: percent, bytes of the total, rate and ETA, as wget and curl show them. The line is
// laid out for the terminal's width, and what must stay readable stays: at narrow widths the bar
// goes first, then the label, then the total; the rate and the ETA are never cut.
import { formatBytes as bytes } from '../report/units.js';
import type { Output } from './output.js';

export interface ProgressBar {
  /** The size is unknown for a download whose server did not answer SIZE; `label` replaces the bar's. */
  start(total: number | undefined, offset: number, label?: string): void;
  update(done: number): void;
  stop(): void;
}

export interface ProgressState {
  label: string;
  done: number;
  total?: number;
  /** Bytes per second; undefined until there is a measure. */
  rate?: number;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** "0.8/4.8 MiB": the done bytes in the total's unit, so the line keeps its width as it grows. */
function doneOfTotal(done: number, total: number): string {
  const unit = Math.min(UNITS.length - 1, Math.max(0, Math.floor(Math.log(Math.max(total, 1)) / Math.log(1024))));
  if (unit === 0) return `${done}/${total} B`;
  const scale = 1024 ** unit;
  const decimals = total / scale >= 100 ? 0 : 1;
  return `${(done / scale).toFixed(decimals)}/${(total / scale).toFixed(decimals)} ${UNITS[unit]}`;
}

/** 7s, 3m05s, 2h03m: short enough for a 40-column terminal. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 100 * 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return '>99h';
}

const MIN_BAR = 8;
const MAX_BAR = 40;

/**
 * The progress line for a terminal `width` columns wide, never longer than width - 1 (the last
 * column would wrap on some terminals).
 */
export function formatProgressLine(state: ProgressState, width: number): string {
  const room = Math.max(1, width - 1);
  const known = state.total !== undefined && state.total > 0;
  const rate = state.rate !== undefined ? `${bytes(Math.round(state.rate))}/s` : '-- B/s';
  const etaSeconds = known && state.rate ? (state.total! - state.done) / state.rate : undefined;
  const eta = known ? `ETA ${etaSeconds !== undefined ? formatEta(etaSeconds) : '--'}` : '';
  const percent = known ? `${Math.min(100, Math.floor((state.done / state.total!) * 100))}%` : '';
  const counts = known ? doneOfTotal(state.done, state.total!) : bytes(state.done);
  const tail = [rate, eta].filter(Boolean).join(' ');
  // Ways to lay it out, richest first; the first that fits wins, the bar taking what is left.
  const layouts: Array<{ label: boolean; counts: string; percent: boolean }> = [
    { label: true, counts, percent: true },
    { label: false, counts, percent: true },
    { label: false, counts: bytes(state.done), percent: true },
    { label: false, counts: '', percent: true },
    { label: false, counts: '', percent: false },
  ];
  for (const layout of layouts) {
    const parts = [layout.label ? state.label : '', layout.percent ? percent : '', layout.counts, tail].filter(Boolean);
    const text = parts.join(' ');
    if (text.length > room) continue;
    const barWidth = Math.min(MAX_BAR, room - text.length - 3);
    if (known && barWidth >= MIN_BAR) {
      const filled = Math.round((Math.min(state.done, state.total!) / state.total!) * barWidth);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
      return layout.label ? `${state.label} ${bar} ${parts.slice(1).join(' ')}` : `${bar} ${text}`;
    }
    return text;
  }
  // Narrower than the rate and the ETA themselves: the tail is all there is.
  return tail.slice(0, room);
}

/** Bytes per second over the last few seconds: steadier than since-the-start, and it recovers after a stall. */
class RateMeter {
  private samples: Array<{ at: number; bytes: number }> = [];

  constructor(private readonly windowMs = 3000) {}

  add(at: number, bytes: number): number | undefined {
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[1]!.at > this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (at - first.at) / 1000;
    return seconds >= 0.2 ? (bytes - first.bytes) / seconds : undefined;
  }
}

/**
 * A progress bar on a TTY stderr; a no-op elsewhere. cli-progress loads only when a bar is shown:
 * scripts and --json runs skip its start-up cost. `quiet` (-q) shows none.
 */
export async function progressBar(output: Output, label: string, options: { quiet?: boolean } = {}): Promise<ProgressBar> {
  if (!output.progress || options.quiet) return { start() {}, update() {}, stop() {} };
  const { default: cliProgress } = await import('cli-progress');
  let bar: InstanceType<typeof cliProgress.SingleBar> | undefined;
  let meter = new RateMeter();
  let state: ProgressState = { label, done: 0 };
  return {
    start(total, offset, newLabel) {
      meter = new RateMeter();
      meter.add(Date.now(), offset);
      state = { label: newLabel ?? label, done: offset, ...(total !== undefined ? { total } : {}) };
      bar?.stop();
      bar = new cliProgress.SingleBar({
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
        // params.maxWidth is the terminal's width as cli-progress reads it at each render.
        format: (_options, params) => formatProgressLine(state, params.maxWidth),
      });
      bar.start(total ?? 1, offset);
    },
    update(done) {
      if (!bar) return;
      const rate = meter.add(Date.now(), done);
      state = { ...state, done, ...(rate !== undefined ? { rate } : {}) };
      bar.update(state.total !== undefined ? Math.min(done, state.total) : 0);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/**
 * Progress of a probe: one bar per run (data mode), shown only once the run has moved data for
 * `delayMs`: a quick probe prints its report without a flash of bar.
 */
export function probeProgress(bar: ProgressBar, totalFor: () => number | undefined, delayMs = 1000): { update(mode: string, bytes: number): void; stop(): void } {
  let mode: string | undefined;
  let firstAt = 0;
  let shown = false;
  return {
    update(runMode, bytes) {
      const now = Date.now();
      if (runMode !== mode) {
        bar.stop();
        mode = runMode;
        firstAt = now;
        shown = false;
      }
      if (!shown && now - firstAt >= delayMs) {
        bar.start(totalFor(), 0, `probe ${runMode}`);
        shown = true;
      }
      if (shown) bar.update(bytes);
    },
    stop() {
      bar.stop();
    },
  };
}
