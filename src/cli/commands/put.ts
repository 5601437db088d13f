// mptcp-doctor put FILE URL: one FTP/FTPS upload over MPTCP (STOR, or SIZE + APPE with
// --continue), with a progress bar and an MPTCP report of every connection at the end.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseFtpUrl, uploadFile } from '../../ftp/index.js';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';
import { checkFamily } from '../option-checks.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson } from '../output.js';
import {
  checkFileTransferOptions, fileTransferJsonFields, fileTransferOptions, reportFileTransfer, runFileTransfer,
  type FileTransferJsonFields, type FileTransferOptions,
} from '../file-transfer-command.js';

export interface PutJson extends FileTransferJsonFields {
  schema: 'mptcp-doctor/put/v1';
  url: string;
  remotePath: string;
  file: string;
}

interface PutOptions extends FileTransferOptions {
  file: string;
  url: string;
}

export const putCommand = defineCommand<PutOptions>({
  command: 'put <file> <url>',
  describe: 'upload one file over FTP/FTPS on MPTCP, and report what each connection did',
  builder: (y) =>
    fileTransferOptions(
      y
        .positional('file', { type: 'string', demandOption: true, describe: 'local file to upload' })
        .positional('url', { type: 'string', demandOption: true, describe: 'ftp://host/dir/ (keeps the file name) or ftp://host/dir/name' }),
    ) as never,
  async run(options, output) {
    checkFileTransferOptions(options);
    const url = parseFtpUrl(options.url);
    checkFamily(url.host, options);
    const remotePath = url.isDirectory || !url.path ? `${url.path}${basename(options.file)}` : url.path;
    if (!basename(options.file) || options.file === '-') throw new UsageError('put needs a local file (stdin is not supported)');
    let isFile = false;
    try {
      isFile = statSync(options.file).isFile();
    } catch {
      throw new UsageError(`${options.file}: no such file`);
    }
    if (!isFile) throw new UsageError(`${options.file} is not a regular file`);

    const display = url.isDirectory || !url.path ? `${url.display}${encodeURIComponent(basename(options.file))}` : url.display;
    const transfer = await runFileTransfer({
      url,
      options,
      output,
      label: 'put',
      display: { remote: display, direction: 'upload' },
      transfer: (client, onStart) => uploadFile(client, { localPath: options.file, remotePath, resume: options.continue, onStart }),
      alreadyComplete: 'the remote file was already complete',
      interrupted: (word) => `${word} (resume with --continue)`,
    });
    if (options.json) {
      const json: PutJson = {
        schema: 'mptcp-doctor/put/v1',
        url: display,
        remotePath,
        file: options.file,
        ...fileTransferJsonFields(transfer, options),
      };
      writeJson(output, json);
      return fileTransferJsonFields(transfer, options).ok ? ExitCode.ok : ExitCode.problem;
    }
    return reportFileTransfer(transfer, options, output, { direction: 'upload', local: options.file, remote: display, toStderr: false });
  },
});
