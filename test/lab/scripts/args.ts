// Tiny --name value parser for the lab's helper scripts (no yargs: they must start fast).
export function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[arg.slice(2)] = 'true';
    else {
      out[arg.slice(2)] = next;
      i += 1;
    }
  }
  return out;
}
