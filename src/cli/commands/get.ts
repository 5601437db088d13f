// mptcp-doctor get URL [FILE]: one FTP/FTPS download over MPTCP into FILE.part, renamed when
// complete, with a progress bar and an MPTCP report of every connection at the end.
import { closeSync, createWriteStream, openSync, statSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';
import { downloadFile, parseFtpUrl, partPath, remoteBasename, type DownloadTarget } from '../../ftp/index.js';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';
import { checkFamily } from '../option-checks.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson } from '../output.js';
import {
  checkFileTransferOptions, fileTransferJsonFields, fileTransferOptions, reportFileTransfer, runFileTransfer,
  type FileTransferJsonFields, type FileTransferOptions,
} from '../file-transfer-command.js';

export interface GetJson extends FileTransferJsonFields {
  schema: 'mptcp-doctor/get/v1';
  url: string;
  remotePath: string;
  /** Local path, or "-" for stdout. */
  file: string;
  remoteSize: number | null;
}

interface GetOptions extends FileTransferOptions {
  url: string;
  file?: string;
  output?: string;
  force: boolean;
}

/**
 * A device or FIFO named as the local file, opened to be written in place. A terminal is refused:
 * binary data can leave it unusable (curl refuses the same); `-` asks for stdout explicitly.
 */
function openDevice(path: string, stats: Stats) {
  // A FIFO's open waits for its reader: opened by the stream, off the main thread.
  if (!stats.isCharacterDevice()) return createWriteStream(path, { flags: 'w' });
  const fd = openSync(path, 'w');
  if (isatty(fd)) {
    closeSync(fd);
    throw new UsageError(`${path} is a terminal, and binary output can mess it up: give - (or -o -) to write to the terminal anyway, or a file name`);
  }
  return createWriteStream(path, { fd });
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

export const getCommand = defineCommand<GetOptions>({
  command: 'get <url> [file]',
  describe: 'download one file over FTP/FTPS on MPTCP, and report what each connection did',
  builder: (y) =>
    fileTransferOptions(
      y
        .positional('url', { type: 'string', demandOption: true, describe: 'ftp://[user[:pass]@]host[:port]/path (ftpes:// explicit, ftps:// implicit FTPS)' })
        .positional('file', { type: 'string', describe: 'local file (default: the remote name; - for stdout)' })
        .option('output', { alias: 'o', type: 'string', describe: 'local file (- for stdout)' })
        .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'overwrite an existing file' }),
    ) as never,
  async run(options, output) {
    checkFileTransferOptions(options);
    const url = parseFtpUrl(options.url);
    checkFamily(url.host, options);
    if (url.isDirectory || !url.path) throw new UsageError(`${url.display} names a directory: give a file path`);
    // yargs hands a positional "-" over as an empty string; an empty file name means nothing else.
    const fileArg = options.file === '' ? '-' : options.file;
    if (fileArg && options.output && fileArg !== options.output) throw new UsageError('give the local file once: FILE or -o FILE');
    const local = options.output ?? fileArg ?? remoteBasename(url.path)!;
    const toStdout = local === '-';
    if (toStdout && options.json) throw new UsageError('--json prints the report on stdout: it cannot be combined with - (stdout) as the file');
    if (toStdout && options.continue) throw new UsageError('--continue needs a file, not stdout');
    const existing = toStdout ? undefined : statOrUndefined(local);
    if (existing?.isDirectory()) throw new UsageError(`${local} is a directory: give a file name`);
    if (existing?.isFile() && !options.force) throw new UsageError(`${local} exists (use --force to overwrite)`);
    // /dev/null, a FIFO, a terminal: written in place, never replaced by renaming a .part over it
    // (as root that would turn /dev/null into a regular file).
    const special = existing !== undefined && !existing.isFile();
    if (special && options.continue) throw new UsageError(`--continue needs a regular file, and ${local} is not one`);
    const device = special ? openDevice(local, existing) : undefined;
    const target: DownloadTarget = toStdout
      ? { kind: 'stream', stream: process.stdout }
      : device
        ? { kind: 'stream', stream: device }
        : { kind: 'file', path: local };
    const transfer = await runFileTransfer({
      url,
      options,
      output,
      label: 'get',
      display: { remote: url.display, direction: 'download' },
      transfer: (client, onStart) =>
        downloadFile(client, { remotePath: url.path, target, force: options.force, resume: options.continue, onStart }),
      alreadyComplete: `${partPath(local)} was already complete`,
      interrupted: (word) => (toStdout || device ? word : `${word}; kept ${partPath(local)} (resume with --continue)`),
      // As curl: no progress meter across data written to the terminal.
      progress: !(toStdout && process.stdout.isTTY),
    }).finally(() => device?.end());
    const { result } = transfer;
    if (options.json) {
      const json: GetJson = {
        schema: 'mptcp-doctor/get/v1',
        url: url.display,
        remotePath: url.path,
        file: local,
        remoteSize: result.remoteSize ?? null,
        ...fileTransferJsonFields(transfer, options),
      };
      writeJson(output, json);
      return fileTransferJsonFields(transfer, options).ok ? ExitCode.ok : ExitCode.problem;
    }
    // With "-" the data owns stdout: the report goes to stderr.
    return reportFileTransfer(transfer, options, output, { direction: 'download', local, remote: url.display, toStderr: toStdout });
  },
});
