// Whole-file transfers on top of FtpClient: download into FILE.part and rename only when complete
// (and the size matches SIZE when the server gave one); resume a .part with REST; upload with
// STOR, or resume with SIZE + APPE. A failed or interrupted download keeps its .part for --continue.
import { open as openCallback } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Writable } from 'node:stream';
import type { FtpClient, TransferResult } from './client.js';
import { FtpError, UnsafePartialFileError } from './errors.js';
import { FileSink } from './file-sink.js';
import { FileSource } from './file-source.js';
import { openPartialFile, partialFileSize, type PartialFile } from './partial-file.js';


export type DownloadTarget = { kind: 'file'; path: string } | { kind: 'stream'; stream: Writable };

export interface DownloadFileOptions {
  remotePath: string;
  target: DownloadTarget;
  /** Overwrite an existing target. */
  force?: boolean;
  /** Resume FILE.part with REST. */
  resume?: boolean;
  /** Called with (bytes done including the resume offset, total when known). */
  onProgress?(done: number, total: number | undefined): void;
  /** Called once the size and resume offset are known, before the data connection. */
  onStart?(info: { offset: number; size?: number }): void;
}

export interface FileTransferResult {
  /** Undefined when nothing needed moving (the .part was already complete). */
  transfer?: TransferResult;
  /** Where the transfer started (REST / APPE offset). */
  offset: number;
  /** Bytes of the whole file at the end. */
  totalBytes: number;
  /** SIZE before the transfer, when the server answered. */
  remoteSize?: number;
  /** The final local path ("-" for a stream). */
  path: string;
}

const openFd = promisify(openCallback);

export function partPath(path: string): string {
  return `${path}.part`;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

export async function downloadFile(client: FtpClient, options: DownloadFileOptions): Promise<FileTransferResult> {
  const { target } = options;
  if (target.kind === 'file' && !options.force && (await sizeOf(target.path)) !== undefined) {
    throw new FtpError(`${target.path} exists (use --force to overwrite)`, 'local');
  }
  let remoteSize: number | undefined;
  try {
    remoteSize = await client.size(options.remotePath);
  } catch (error) {
    if (!(error instanceof FtpError) || error.kind !== 'protocol') throw error;
  }
  if (target.kind === 'stream') {
    options.onStart?.({ offset: 0, ...(remoteSize !== undefined ? { size: remoteSize } : {}) });
    const transfer = await client.download(options.remotePath, target.stream);
    // The size check matters as much for a pipe as for a file.
    checkSize(transfer.bytes, remoteSize ?? transfer.announcedSize);
    return { transfer, offset: 0, totalBytes: transfer.bytes, ...(remoteSize !== undefined ? { remoteSize } : {}), path: '-' };
  }
  const part = partPath(target.path);
  let opened: PartialFile;
  try {
    // Never through a planted link, never someone else's file (partial-file.ts); checked before
    // anything is written, and before a complete .part is renamed into place.
    // A plain descriptor (not a FileHandle, which closes itself when collected): FileSink owns it.
    opened = await openPartialFile(part, { resume: Boolean(options.resume) });
  } catch (error) {
    if (error instanceof UnsafePartialFileError) throw error;
    throw new FtpError(`cannot write ${part}: ${(error as Error).message}`, 'local', undefined, { cause: error });
  }
  const existing = opened.size;
  const sink = new FileSink(opened.fd, existing);
  if (remoteSize !== undefined && existing > remoteSize) {
    await sink.close();
    throw new FtpError(`${part} (${existing} bytes) is larger than the remote file (${remoteSize} bytes): remove it to start over`, 'size-mismatch');
  }
  options.onStart?.({ offset: existing, ...(remoteSize !== undefined ? { size: remoteSize } : {}) });
  if (remoteSize !== undefined && existing === remoteSize && existing > 0) {
    await sink.close();
    await rename(part, target.path);
    return { offset: existing, totalBytes: existing, remoteSize, path: target.path };
  }
  let transfer: TransferResult;
  try {
    transfer = await client.download(options.remotePath, sink, existing > 0 ? { offset: existing } : {});
    await sink.flush();
  } catch (error) {
    await sink.close();
    const kept = (await partialFileSize(part)) ?? 0;
    // Nothing arrived and nothing was there before: don't leave an empty .part behind.
    if (existing === 0 && kept === 0) await unlink(part).catch(() => undefined);
    if (kept > 0 && error instanceof FtpError && error.kind !== 'aborted') {
      throw new FtpError(`${error.message} (kept ${part}, ${kept} bytes; resume with --continue)`, error.kind, error.reply, { cause: error });
    }
    throw error;
  }
  await sink.close();
  const totalBytes = existing + transfer.bytes;
  checkSize(totalBytes, remoteSize ?? (existing === 0 ? transfer.announcedSize : undefined), part);
  await rename(part, target.path);
  return { transfer, offset: existing, totalBytes, ...(remoteSize !== undefined ? { remoteSize } : {}), path: target.path };
}

function checkSize(received: number, expected: number | undefined, part?: string): void {
  if (expected !== undefined && received !== expected) {
    throw new FtpError(
      `incomplete transfer: ${received} of ${expected} bytes${part ? ` (kept ${part}; resume with --continue)` : ''}`,
      'size-mismatch',
    );
  }
}

export interface UploadFileOptions {
  localPath: string;
  remotePath: string;
  /** Resume with SIZE + APPE. */
  resume?: boolean;
  onStart?(info: { offset: number; size: number }): void;
}

export async function uploadFile(client: FtpClient, options: UploadFileOptions): Promise<FileTransferResult> {
  let localSize: number;
  try {
    const info = await stat(options.localPath);
    if (!info.isFile()) throw new FtpError(`${options.localPath} is not a regular file`, 'local');
    localSize = info.size;
  } catch (error) {
    if (error instanceof FtpError) throw error;
    throw new FtpError(`cannot read ${options.localPath}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, 'local');
  }
  let offset = 0;
  let remoteSize: number | undefined;
  if (options.resume) {
    remoteSize = await client.size(options.remotePath);
    offset = remoteSize ?? 0;
    if (offset > localSize) {
      throw new FtpError(`the remote file (${offset} bytes) is larger than ${options.localPath} (${localSize} bytes): cannot resume`, 'size-mismatch');
    }
  }
  options.onStart?.({ offset, size: localSize });
  if (options.resume && offset === localSize) {
    return { offset, totalBytes: localSize, ...(remoteSize !== undefined ? { remoteSize } : {}), path: options.remotePath };
  }
  let fd: number;
  try {
    fd = await openFd(options.localPath, 'r');
  } catch (error) {
    throw new FtpError(`cannot read ${options.localPath}: ${(error as Error).message}`, 'local', undefined, { cause: error });
  }
  const source = new FileSource(fd, offset);
  let transfer: TransferResult;
  try {
    transfer = await client.upload(options.remotePath, source, { append: offset > 0 });
  } finally {
    await source.close();
  }
  const totalBytes = offset + transfer.bytes;
  if (totalBytes !== localSize) {
    throw new FtpError(`incomplete upload: sent ${totalBytes} of ${localSize} bytes`, 'size-mismatch');
  }
  // Check what the server stored when it can say (SIZE is optional, RFC 3659).
  const stored = await client.size(options.remotePath).catch(() => undefined);
  if (stored !== undefined && stored !== localSize) {
    throw new FtpError(`the server stored ${stored} of ${localSize} bytes`, 'size-mismatch');
  }
  return { transfer, offset, totalBytes, ...(remoteSize !== undefined ? { remoteSize } : {}), path: options.remotePath };
}
