// Public surface of the FTP client (get, put and probe use these).
//
//   const client = await FtpClient.connect({ host, port, security, tls, tcp, mode, observer, signal });
//   await client.login(user, password);          // USER/PASS, PBSZ 0 + PROT P under TLS, FEAT, TYPE I
//   await client.sendCommand('SITE MPTCP');       // any command; waits past 1xx for the final reply
//   const size = await client.size(path);         // SIZE, undefined when the server does not say
//   await client.download(path, writableOrFileSink, { offset });   // RETR (REST when offset)
//   await client.upload(path, readable, { append });                // STOR / APPE
//   client.control.report();                      // live MPTCP report of the control connection
//   const { report } = await client.close();      // sampled before QUIT, then closed
//
// The observer sees every connection as it is made (onConnection(role, mode, handle) with
// handle.report() valid until close), every command with its reply (PASS masked), and each data
// connection's start, progress and end (onDataEnd carries the report sampled just before close).
// downloadFile/uploadFile add .part handling, resume and size checks on top.
export { FtpClient, DEFAULT_DATA_BUFFER_BYTES, type FtpClientOptions, type FtpObserver, type FtpSecurity, type ModeRequest, type TlsSettings, type TransferResult } from './client.js';
export { type ConnectionRole, type DataMode, type FtpConnectionHandle } from './connection-handle.js';
export { FtpContext } from './context.js';
export { ANONYMOUS, lookupNetrc, netrcPath, parseNetrc, resolveCredentials, type Credentials, type CredentialsInput } from './credentials.js';
export { FtpCredentialsError, FtpError, FtpProtocolError, FtpUrlError, MissingPasswordError, NetrcSyntaxError, UnsafePartialFileError, type FtpErrorKind } from './errors.js';
export { FileSink, type FileSinkOptions } from './file-sink.js';
export { FileSource, type FileSourceOptions } from './file-source.js';
export { downloadFile, partPath, uploadFile, type DownloadFileOptions, type DownloadTarget, type FileTransferResult, type UploadFileOptions } from './file-transfer.js';
export { ReplyParser, summarizeReply, type FtpReply } from './reply-parser.js';
export { parseEpsvReply, parseFeatReply, parsePasvReply, parseSizeReply, parseTransferSize, maskCommand } from './reply-values.js';
export { parseFtpUrl, remoteBasename, type FtpUrl } from './url.js';
