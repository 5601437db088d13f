// The first word of the command line: help CMD, and the nearest command for a typo.
import { describe, expect, it } from 'vitest';
import { checkCommandWord, commandNames, editDistance, nearestCommand, rewriteHelp } from '../../../src/cli/command-words.js';
import { UsageError } from '../../../src/cli/errors.js';

describe('nearestCommand', () => {
  it.each([
    ['prboe', 'probe'],
    ['conect', 'connect'],
    ['chekc', 'check'],
    ['serv', 'serve'],
    ['wacth', 'watch'],
    ['GET', 'get'],
    ['xyzzy', undefined],
    ['download', undefined],
  ])('%s -> %s', (word, guess) => expect(nearestCommand(word)).toBe(guess));

  it('counts a swap of two neighbours as one edit', () => {
    expect(editDistance('prboe', 'probe')).toBe(1);
    expect(editDistance('probe', 'probe')).toBe(0);
    expect(editDistance('', 'get')).toBe(3);
  });

  it('knows every command of the registry', () => {
    expect(commandNames()).toEqual(['check', 'fix', 'connect', 'get', 'put', 'probe', 'serve', 'conns', 'watch', 'report', 'completion']);
  });
});

describe('checkCommandWord', () => {
  it('lets commands, options and the default command through', () => {
    for (const args of [['probe', 'ftp://h/'], [], ['--json'], ['--only', 'kernel.mptcp'], ['-o', 'x.prom', '--format', 'prometheus'], ['completion'], ['--get-yargs-completions', 'prb']]) {
      expect(() => checkCommandWord(args)).not.toThrow();
    }
  });

  it('names the command it guesses', () => {
    expect(() => checkCommandWord(['prboe'])).toThrow(UsageError);
    expect(() => checkCommandWord(['--json', 'prboe'])).toThrow('unknown command "prboe"; did you mean "probe"? (mptcp-doctor --help lists the commands)');
  });
});

describe('rewriteHelp', () => {
  it.each([
    [['help'], ['--help']],
    [['help', 'get'], ['get', '--help']],
    [['--no-color', 'help', 'probe'], ['--no-color', 'probe', '--help']],
    [['get', 'help'], ['get', 'help']],
  ])('%j -> %j', (args, rewritten) => expect(rewriteHelp(args)).toEqual(rewritten));
});
