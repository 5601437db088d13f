// Probe sizes as names: "1M", "10M", "1G", "1500" (bytes), binary units (K = 1024), one name per size.
export const KIB = 1024;
export const MIB = 1024 * KIB;
export const GIB = 1024 * MIB;

const UNITS: Record<string, number> = { '': 1, K: KIB, M: MIB, G: GIB, T: 1024 * GIB };

/** The default cap on /probe/<size>: large enough for long throughput runs, small enough to stay finite. */
export const DEFAULT_MAX_PROBE_SIZE = 64 * GIB;

/**
 * The default cap on digests computed on request: 4 GiB is about 2.6 s of one core here (SHA-256 at
 * about 1.6 GB/s with SHA-NI), far beyond the sizes a probe moves over a real path.
 */
export const DEFAULT_MAX_DIGEST_SIZE = 4 * GIB;

/** The sizes listed in /probe (any other size up to the cap can still be named). */
export const LISTED_SIZES = [1 * MIB, 10 * MIB, 100 * MIB, 1 * GIB];

/**
 * Parses "10M", "1g", "4096", "1.5G" is refused (whole numbers only). Returns undefined for anything
 * else, including sizes beyond Number.MAX_SAFE_INTEGER.
 */
export function parseSize(text: string): number | undefined {
  const match = /^(\d{1,16})([KMGT]?)(?:I?B)?$/i.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]) * UNITS[match[2]!.toUpperCase()]!;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** The canonical name of a size: the largest unit that divides it ("1M", "1536K", "1000"). */
export function formatSize(bytes: number): string {
  for (const unit of ['T', 'G', 'M', 'K'] as const) {
    const factor = UNITS[unit]!;
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}
