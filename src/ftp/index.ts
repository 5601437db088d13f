// Public surface of the FTP client (get, put and probe use these).
export { FtpClient, DEFAULT_DATA_BUFFER_BYTES, type FtpClientOptions, type FtpObserver, type FtpSecurity, type ModeRequest, type TlsSettings, type TransferResult } from './client.js';
export { type ConnectionRole, type DataMode, type FtpConnectionHandle } from './connection-handle.js';
export { FtpContext } from './context.js';
export { ANONYMOUS, lookupNetrc, parseNetrc, resolveCredentials, type Credentials } from './credentials.js';
export { FtpCredentialsError, FtpError, FtpProtocolError, FtpUrlError, type FtpErrorKind } from './errors.js';
export { downloadFile, partPath, uploadFile, type DownloadFileOptions, type DownloadTarget, type FileTransferResult, type UploadFileOptions } from './file-transfer.js';
export { ReplyParser, summarizeReply, type FtpReply } from './reply-parser.js';
export { parseEpsvReply, parseFeatReply, parsePasvReply, parseSizeReply, parseTransferSize, maskCommand } from './reply-values.js';
export { parseFtpUrl, remoteBasename, type FtpUrl } from './url.js';
