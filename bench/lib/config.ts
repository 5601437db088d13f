// Sizes, run counts and client counts of a full run and of the smoke run (npm test).

export interface BenchConfig {
  smoke: boolean;
  /** rounds of each alternated comparison */
  runs: number;
  /** rounds of `node -e 0` vs check/probe */
  verdictRuns: number;
  /** rounds of get vs curl from serve (its goals are judged on 7) */
  serveRuns: number;
  /** rounds of the single executable against the npm install, and of the per-host fleet audit */
  startupRuns: number;
  /** loopback download/upload size */
  bigBytes: number;
  /** aggregation download size */
  aggregationBytes: number;
  /** path rate of each of the two shaped links */
  pathMbit: number;
  /** concurrent clients for serve's memory figure */
  memoryClients: number;
  /** concurrent client counts for the server capacity figures */
  capacityClients: number[];
  /** bytes each capacity client downloads */
  capacityBytes: number;
  /** where downloads and upload sources go (tmpfs) */
  tmpfs: string;
  /** RESULTS.md and results.json go here */
  outDir: string;
  /** group ids to run (all when undefined) */
  only?: string[];
}

const MIB = 1 << 20;

export function fullConfig(outDir: string, tmpfs: string): BenchConfig {
  return {
    smoke: false,
    runs: 5,
    verdictRuns: 10,
    serveRuns: 7,
    startupRuns: 10,
    bigBytes: 1024 * MIB,
    aggregationBytes: 50 * 1000 * 1000,
    pathMbit: 50,
    memoryClients: 100,
    capacityClients: [50, 200],
    capacityBytes: MIB,
    tmpfs,
    outDir,
  };
}

export function smokeConfig(outDir: string, tmpfs: string): BenchConfig {
  return {
    ...fullConfig(outDir, tmpfs),
    smoke: true,
    runs: 2,
    verdictRuns: 2,
    serveRuns: 2,
    startupRuns: 2,
    bigBytes: 4 * MIB,
    aggregationBytes: 4 * MIB,
    memoryClients: 5,
    capacityClients: [5],
  };
}
