// struct tcp_info essentials, decoded by length: older kernels return shorter structs
// (bytes_acked/received since 4.1, bytes_sent since 4.19).
import { ByteReader, definedOnly } from './byte-reader.js';

const TCP_STATES = [
  'unknown', 'established', 'syn-sent', 'syn-recv', 'fin-wait1', 'fin-wait2', 'time-wait',
  'close', 'close-wait', 'last-ack', 'listen', 'closing', 'new-syn-recv',
] as const;

export type TcpStateName = (typeof TCP_STATES)[number];

export interface TcpInfo {
  length: number;
  state: TcpStateName;
  /** Smoothed round-trip time in microseconds. */
  rttUs?: number;
  rttVarUs?: number;
  sndCwnd?: number;
  retrans?: number;
  lost?: number;
  totalRetrans?: number;
  pmtu?: number;
  bytesAcked?: number;
  bytesReceived?: number;
  minRttUs?: number;
  deliveryRate?: number;
  bytesSent?: number;
  bytesRetrans?: number;
}

export function tcpStateName(state: number): TcpStateName {
  return TCP_STATES[state] ?? 'unknown';
}

export function decodeTcpInfo(bytes: Buffer): TcpInfo {
  const r = new ByteReader(bytes);
  return definedOnly<TcpInfo>({
    length: bytes.length,
    state: tcpStateName(r.u8(0) ?? 0),
    lost: r.u32(32),
    retrans: r.u32(36),
    pmtu: r.u32(60),
    rttUs: r.u32(68),
    rttVarUs: r.u32(72),
    sndCwnd: r.u32(80),
    totalRetrans: r.u32(100),
    bytesAcked: r.u64(120),
    bytesReceived: r.u64(128),
    minRttUs: r.u32(148),
    deliveryRate: r.u64(160),
    bytesSent: r.u64(200),
    bytesRetrans: r.u64(208),
  });
}
