// Shell completion as bash runs it: the script `mptcp-doctor completion` prints is sourced into a
// real bash, COMP_WORDS/COMP_CWORD are set as readline would, and the completion function fills
// COMPREPLY by asking the installed CLI. The zsh script is checked by zsh's own parser.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDist } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';

const cli = requireDist();
let bin: string;
let env: Record<string, string>;
/** The bash script, as a file to source. */
let bashScript: string;

beforeAll(async () => {
  // `mptcp-doctor` on the PATH, as after an install (the script calls it by name).
  bin = mkdtempSync(join(tmpdir(), 'mptcp-doctor-completion-'));
  symlinkSync(cli, join(bin, 'mptcp-doctor'));
  env = { PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, SHELL: '/bin/bash', HOME: bin };
  bashScript = join(bin, 'mptcp-doctor.bash');
  writeFileSync(bashScript, await script('/bin/bash'));
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));

async function script(shell: string): Promise<string> {
  const result = await execa('mptcp-doctor', ['completion'], { env: { ...env, SHELL: shell }, extendEnv: false, timeout: 20_000 });
  return result.stdout;
}

/** What bash offers after `words` (the last one is the word being completed). */
async function complete(words: string[]): Promise<string[]> {
  const program = [
    'source "$1"',
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE='${words.join(' ')}'`,
    'COMP_POINT=${#COMP_LINE}',
    '_mptcp-doctor_yargs_completions',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const result = await execa('bash', ['--norc', '--noprofile', '-c', program, 'bash', bashScript], { env, extendEnv: false, timeout: 20_000 });
  return result.stdout.split('\n').filter(Boolean);
}

describe('bash completion', () => {
  it('registers a completion function for mptcp-doctor', async () => {
    const result = await execa('bash', ['--norc', '--noprofile', '-c', 'source "$1"; complete -p mptcp-doctor', 'bash', bashScript], { env, extendEnv: false });
    expect(result.stdout).toContain('-F _mptcp-doctor_yargs_completions mptcp-doctor');
  });

  it('completes command names', async () => {
    const all = await complete(['mptcp-doctor', '']);
    expect(all).toEqual(expect.arrayContaining(['check', 'fix', 'connect', 'get', 'put', 'probe', 'serve', 'report', 'completion']));
    expect(await complete(['mptcp-doctor', 'rep'])).toEqual(['report']);
    expect(await complete(['mptcp-doctor', 'p'])).toEqual(expect.arrayContaining(['probe', 'put']));
  });

  it('completes the options of the command being typed, and the choices of an option', async () => {
    expect(await complete(['mptcp-doctor', 'check', '--fo'])).toEqual(['--format']);
    expect(await complete(['mptcp-doctor', 'check', '--format', ''])).toEqual(['table', 'json', 'prometheus']);
    expect(await complete(['mptcp-doctor', 'probe', '--ti'])).toEqual(['--timeout']);
    expect(await complete(['mptcp-doctor', 'serve', '--li'])).toEqual(['--listen']);
    expect(await complete(['mptcp-doctor', 'report', '--j'])).toEqual(['--json']);
    // An option of another command is not offered.
    expect(await complete(['mptcp-doctor', 'check', '--lis'])).toEqual([]);
  });
});

describe('zsh completion', () => {
  it('describes each command (name:description) and its script parses', async () => {
    const described = await execa('mptcp-doctor', ['--get-yargs-completions', 'mptcp-doctor', ''], { env: { ...env, SHELL: '/bin/zsh' }, extendEnv: false });
    expect(described.stdout).toMatch(/^report:merge many hosts' check and probe --json results/m);
    const zsh = await script('/bin/zsh');
    expect(zsh).toMatch(/^#compdef mptcp-doctor/);
    if (missingRequirement('zsh completion script syntax', 'tool:zsh')) return;
    const parsed = await execa('zsh', ['-n'], { input: zsh, reject: false });
    expect(parsed.stderr).toBe('');
    expect(parsed.exitCode).toBe(0);
  });
});
