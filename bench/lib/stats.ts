// Medians with their spread: absolute times vary from machine to machine (and from minute to
// minute on a shared one), so every figure is a median of several runs, shown with min-max.

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
  values: number[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter((v) => Number.isFinite(v));
  return {
    median: median(finite),
    min: finite.length > 0 ? Math.min(...finite) : Number.NaN,
    max: finite.length > 0 ? Math.max(...finite) : Number.NaN,
    n: finite.length,
    values: [...values],
  };
}

/**
 * Per-round ratios a[i] / b[i] of two commands measured alternately in the same rounds: each ratio
 * compares runs made seconds apart, so slow drift of the machine's load cancels out.
 */
export function pairedRatios(a: readonly number[], b: readonly number[]): Summary {
  const n = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) ratios.push(a[i]! / b[i]!);
  return summarize(ratios);
}
