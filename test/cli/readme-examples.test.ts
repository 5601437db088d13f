// The README says what the commands do; this test holds it to that. Every ```console block of
// README.md runs, command by command, in a network namespace of its own (127.0.0.1:2121 is free
// there, and no other traffic moves its counters), and what each command prints must match what
// the README shows under it:
// - `$ mptcp-doctor ...` runs the installed CLI; a trailing `&` runs it in the background, and its
//   lines shown are waited for; `$ echo $?` must print the exit code of the command before it.
// - `...` alone on a line stands for any lines; `...` inside a line for any text.
// - After the lines shown, only notes may follow (a stall note when the counters call for one).
// The exit-code table must list exactly the codes the CLI uses.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';
import { createNetns, type Netns } from '../support/netns.js';

const readme = readFileSync(path.join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

interface Step {
  command: string;
  expected: string[];
}

/** The ```console blocks, each a list of commands with the lines shown under them. */
export function consoleBlocks(text: string): Step[][] {
  const blocks: Step[][] = [];
  for (const match of text.matchAll(/^```console\n([\s\S]*?)^```$/gm)) {
    const steps: Step[] = [];
    for (const line of match[1]!.replace(/\n$/, '').split('\n')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: [] });
      else steps.at(-1)?.expected.push(line);
    }
    blocks.push(steps);
  }
  return blocks;
}

function linePattern(line: string): RegExp {
  const escaped = line.split('...').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

const NOTE = /^(note: |  \S)/;

/** Whether `actual` shows `expected` (README rules above). */
export function matches(actual: string[], expected: string[], i = 0, j = 0): boolean {
  if (j === expected.length) return actual.slice(i).every((line) => NOTE.test(line));
  if (expected[j] === '...') {
    for (let k = i; k <= actual.length; k++) if (matches(actual, expected, k, j + 1)) return true;
    return false;
  }
  return i < actual.length && linePattern(expected[j]!).test(actual[i]!) && matches(actual, expected, i + 1, j + 1);
}

function lines(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

test('the README lists exactly the exit codes the CLI uses', () => {
  const section = readme.slice(readme.indexOf('### Exit codes'));
  const table = section.slice(section.indexOf('| exit code |'), section.indexOf('\n\n', section.indexOf('| exit code |')));
  const codes = [...table.matchAll(/^\| `(\d+)` \|/gm)].map((m) => Number(m[1]));
  expect(codes).toEqual([...new Set(Object.values(ExitCode))].sort((a, b) => a - b));
  expect(codes).toEqual([0, 1, 2, 3, 4, 70, 130, 143]);
});

test('the README matcher: ... for lines and for text, notes may follow', () => {
  expect(matches(['a 1.0 s', 'b', 'c'], ['a ... s', '...', 'c'])).toBe(true);
  expect(matches(['a', 'note: stalled', '  more'], ['a'])).toBe(true);
  expect(matches(['a', 'surprise'], ['a'])).toBe(false);
  expect(matches(['a'], ['b'])).toBe(false);
});

const skip = missingRequirement('README examples', 'root', 'netns', 'tool:nsenter');

describe.skipIf(skip)('every console example of the README does what it shows', () => {
  let ns: Netns;
  let dir: string;
  let cli: string;
  const background: ResultPromise[] = [];

  beforeAll(async () => {
    cli = requireDist();
    ns = await createNetns('readme');
    dir = mkdtempSync(path.join(tmpdir(), 'md-readme-'));
  });

  afterAll(async () => {
    for (const child of background) child.kill('SIGTERM');
    await Promise.all(background.map((child) => child.catch(() => undefined)));
    await ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const blocks = consoleBlocks(readme);
  test('the README has console examples', () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.flat().filter((s) => s.command.startsWith('mptcp-doctor ')).length).toBeGreaterThan(5);
  });

  test.each(blocks.map((steps, index) => [index + 1, steps] as const))('block %i', async (_index, steps) => {
    let lastCode: number | undefined;
    for (const step of steps) {
      if (step.command === 'echo $?') {
        expect(lines(`${lastCode}\n`), `exit code of the command before "echo $?"`).toEqual(step.expected);
        continue;
      }
      expect(step.command.startsWith('mptcp-doctor '), `only mptcp-doctor and echo $? run here: ${step.command}`).toBe(true);
      const inBackground = step.command.endsWith(' &');
      const args = step.command.replace(/ &$/, '').split(' ').slice(1);
      const argv = ['nsenter', `--net=/run/netns/${ns.name}`, 'node', cli, ...args];
      if (inBackground) {
        const child = execa(argv[0]!, argv.slice(1), { cwd: dir, reject: false, env: { NO_COLOR: '1' } });
        background.push(child);
        let seen = '';
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${step.command}: shows ${JSON.stringify(seen)}`)), 20_000);
          child.stdout!.on('data', (chunk: Buffer) => {
            seen += chunk.toString();
            if (matches(lines(seen), step.expected)) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        continue;
      }
      const result = await execa(argv[0]!, argv.slice(1), { cwd: dir, reject: false, timeout: 60_000, env: { NO_COLOR: '1' } });
      lastCode = result.exitCode;
      // What the terminal shows: the report, then what went to stderr.
      const shown = [...lines(String(result.stdout)), ...lines(String(result.stderr))];
      expect(matches(shown, step.expected), `$ ${step.command}\nshows:\n${shown.join('\n')}\nREADME:\n${step.expected.join('\n')}`).toBe(true);
    }
  }, 120_000);
});
