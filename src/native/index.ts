export { AddonUnavailableError, isSystemError, native, type SystemError } from './binding.js';
export { decodeMptcpInfo, totalSubflows, type MptcpInfo } from './decode-mptcp-info.js';
export { decodeTcpInfo, type TcpInfo } from './decode-tcp-info.js';
export { type SocketAddress } from './decode-sockaddr.js';
export { type SubflowDetail } from './decode-subflows.js';
export {
  bindSocket, closeSocket, createSocket, describeTcpReason, forceSendBuffer, getBufferSizes, getTcpOption, setBufferSizes, setTcpOption,
  type CreatedSocket, type TcpIntOption, type SocketKind, type TcpReason,
} from './socket-factory.js';
export {
  readMptcpInfo, readSocketAddresses, readSocketProtocol, readSubflows, readTcpInfo, sampleMptcpState,
  type ConnectionState, type MptcpStateSample, type SubflowsSample,
} from './socket-state.js';
