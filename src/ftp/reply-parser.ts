// The client's reply parser: the protocol's framing (src/protocol/reply.ts), with a framing error
// turned into an FtpProtocolError like every other malformed reply.
import { ReplyParser as FramingParser, ReplyFramingError, type FtpReply } from '../protocol/reply.js';
import { FtpProtocolError } from './errors.js';

export {
  DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_LINES, isPositive, replyClass, summarizeReply,
  type FtpReply, type ReplyParserOptions,
} from '../protocol/reply.js';

export class ReplyParser extends FramingParser {
  override push(chunk: Uint8Array): FtpReply[] {
    try {
      return super.push(chunk);
    } catch (error) {
      throw error instanceof ReplyFramingError ? new FtpProtocolError(error.message) : error;
    }
  }
}
