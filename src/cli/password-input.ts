// Passwords that are not on the command line (where `ps` shows them to every user): typed at a
// prompt without echo on a terminal, as ftp(1) and lftp ask, or read from stdin for scripts
// (--password-stdin, as docker login reads it).
import { FtpCredentialsError } from '../ftp/index.js';
import { deliverInterrupt } from './interrupt.js';

export const PASSWORD_PROMPT_TIMEOUT_MS = 120_000;
export const PASSWORD_STDIN_TIMEOUT_MS = 30_000;

/** A terminal to ask on: stdin to read and stderr to show the question (stdout may be the data). */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/**
 * Asks on the terminal, echoing nothing. Backspace and Ctrl-U edit, Enter ends; Ctrl-C restores the
 * terminal and is then handled as SIGINT (the one interruption path, src/cli/interrupt.ts);
 * Ctrl-D on an empty line or no answer within the time limit is an error.
 */
export function promptPassword(prompt: string, timeoutMs = PASSWORD_PROMPT_TIMEOUT_MS): Promise<string> {
  const input = process.stdin;
  // Echo off before the question shows: a quick typist (or a script at a pty) must not see the
  // password echoed because it answered before raw mode was set.
  const wasRaw = input.isRaw;
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      clearTimeout(timer);
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      process.stderr.write('\n');
    };
    const timer = setTimeout(() => {
      finish();
      reject(new FtpCredentialsError(`no password typed within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          deliverInterrupt('SIGINT');
          return;
        }
        if (ch === '\u0004' && value === '') {
          finish();
          reject(new FtpCredentialsError('no password typed (end of input)'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

/** The first line of stdin (without its line ending), for --password-stdin. */
export function readPasswordFromStdin(timeoutMs = PASSWORD_STDIN_TIMEOUT_MS): Promise<string> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error: Error | undefined, value?: string) => {
      clearTimeout(timer);
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause();
      if (error) reject(error);
      else resolve(value!);
    };
    const timer = setTimeout(() => finish(new FtpCredentialsError(`--password-stdin: nothing on stdin within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const newline = text.indexOf('\n');
      if (newline >= 0) finish(undefined, text.slice(0, newline).replace(/\r$/, ''));
    };
    const onEnd = () => {
      if (text === '') finish(new FtpCredentialsError('--password-stdin: stdin was empty'));
      else finish(undefined, text.replace(/\r$/, ''));
    };
    const onError = (error: Error) => finish(new FtpCredentialsError(`--password-stdin: ${error.message}`));
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}
