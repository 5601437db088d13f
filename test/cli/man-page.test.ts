// The man page (scripts/man.mjs, run by npm run build) as man(1) renders it: no roff warnings,
// every command and every option each command's --help lists, and package.json installs it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandEntries } from '../../src/cli/commands/index.js';
import { packageRoot, requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';

const cli = requireDist();
const page = join(packageRoot, 'man', 'mptcp-doctor.1');
/** Every command of the registry: one added later is checked without touching this test. */
const commands = commandEntries.map((entry) => entry.names.find((name) => name !== '$0')!);
const skip = missingRequirement('man page', 'tool:man');

describe.skipIf(skip)('man page', () => {
  let rendered: string;
  let warnings: string;

  beforeAll(async () => {
    const result = await execa('man', ['--warnings', '-l', '-P', 'cat', page], { env: { MANWIDTH: '80', LC_ALL: 'C.UTF-8' }, timeout: 20_000 });
    rendered = result.stdout;
    warnings = result.stderr;
  });

  it('renders with man -l, without roff warnings', () => {
    expect(warnings).toBe('');
    expect(rendered).toMatch(/^MPTCP-DOCTOR\(1\)/);
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMMANDS', 'GLOBAL OPTIONS', 'EXIT STATUS', 'ENVIRONMENT']) {
      expect(rendered).toMatch(new RegExp(`^${section}$`, 'm'));
    }
    for (const line of rendered.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it.each(commands)('documents %s and every option its --help lists', async (command) => {
    expect(rendered).toMatch(new RegExp(`^   mptcp-doctor ${command}\\b`, 'm'));
    const help = await execa('node', [cli, command, '--help'], { timeout: 20_000 });
    const options = [...new Set([...help.stdout.matchAll(/(?:^|\s)(--[a-z0-9-]+)/g)].map((m) => m[1]!))];
    expect(options.length).toBeGreaterThan(3);
    // The options of this command's section and the global ones, as rendered.
    const start = rendered.indexOf(`   mptcp-doctor ${command}`);
    const end = rendered.indexOf('\n   mptcp-doctor ', start + 1);
    expect(end).toBeGreaterThan(start);
    const section = rendered.slice(start, end === -1 ? undefined : end) + rendered.slice(rendered.indexOf('GLOBAL OPTIONS'), rendered.indexOf('EXIT STATUS'));
    const missing = options.filter((option) => !new RegExp(`(^|[\\s,])${option}\\b`).test(section));
    expect(missing).toEqual([]);
  });

  it('is installed with the package (package.json man)', () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { man: string[]; files: string[] };
    expect(pkg.man).toContain('./man/mptcp-doctor.1');
    expect(pkg.files).toContain('man/');
  });
});
