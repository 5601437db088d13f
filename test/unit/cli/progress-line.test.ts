// The progress line, laid out for the terminal's width: what must stay readable stays.
import { describe, expect, it } from 'vitest';
import { formatEta, formatProgressLine } from '../../../src/cli/progress-bar.js';

const MiB = 1 << 20;

describe('formatProgressLine', () => {
  const known = { label: 'get', done: 2.2 * MiB, total: 4.8 * MiB, rate: 9.1 * MiB };

  it('at 80 columns: label, bar, percent, done of the total, rate, ETA', () => {
    const line = formatProgressLine(known, 80);
    expect(line).toMatch(/^get \[#+-+\] 45% 2\.2\/4\.8 MiB 9\.1 MiB\/s ETA 0s$/);
    expect(line.length).toBeLessThanOrEqual(79);
  });

  it.each([20, 30, 36, 40, 50, 60, 80, 120, 200])('at %i columns: never longer than the width minus one, rate and ETA whole', (cols) => {
    for (const state of [known, { ...known, done: 0, rate: undefined }, { ...known, total: 900 * 1024 ** 3, done: 1024 ** 3, rate: 1024 }]) {
      const line = formatProgressLine(state, cols);
      expect(line.length, line).toBeLessThanOrEqual(cols - 1);
      expect(line, line).toMatch(/(\d+(\.\d)? (B|KiB|MiB|GiB)|--) ?B?\/s ETA (\S+)$/);
    }
  });

  it('at 40 columns the bar goes first, then the label', () => {
    expect(formatProgressLine(known, 40)).toBe('get 45% 2.2/4.8 MiB 9.1 MiB/s ETA 0s');
    expect(formatProgressLine(known, 30)).toBe('45% 2.2 MiB 9.1 MiB/s ETA 0s');
  });

  it('an unknown size: bytes and rate, no percent, no bar, no ETA', () => {
    expect(formatProgressLine({ label: 'get', done: 3 * MiB, rate: MiB }, 80)).toBe('get 3.0 MiB 1.0 MiB/s');
  });

  it('small totals keep their unit', () => {
    expect(formatProgressLine({ label: 'put', done: 500, total: 1000, rate: 100 }, 60)).toMatch(/ 50% 500\/1000 B 100 B\/s ETA 5s$/);
  });
});

describe('formatEta', () => {
  it.each([
    [0, '0s'],
    [59.4, '59s'],
    [65, '1m05s'],
    [3599, '59m59s'],
    [7380, '2h03m'],
    [1e9, '>99h'],
  ])('%s s -> %s', (seconds, text) => expect(formatEta(seconds)).toBe(text));
});
