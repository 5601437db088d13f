// INET_DIAG_ULP_INFO of a TCP socket (linux/inet_diag.h, linux/mptcp.h): the upper-layer protocol's
// name and, for an MPTCP subflow, its connection's tokens, address ids and subflow flags
// (what `ss -ti` prints as "tcp-ulp-mptcp flags:Mec token:0000(id:0)/9286932d(id:0) ...").
import { attributeMap, attributeString, attributeUint } from './netlink-frame.js';

const INET_ULP_INFO_NAME = 1;
const INET_ULP_INFO_MPTCP = 3;

const MPTCP_SUBFLOW_ATTR_TOKEN_REM = 1;
const MPTCP_SUBFLOW_ATTR_TOKEN_LOC = 2;
const MPTCP_SUBFLOW_ATTR_MAP_DATALEN = 7;
const MPTCP_SUBFLOW_ATTR_FLAGS = 8;
const MPTCP_SUBFLOW_ATTR_ID_REM = 9;
const MPTCP_SUBFLOW_ATTR_ID_LOC = 10;

/** MPTCP_SUBFLOW_FLAG_* bits, named as ss abbreviates them (M m J j B b e c v). */
export const SUBFLOW_FLAGS = [
  ['mpCapableRemote', 'M'],
  ['mpCapableLocal', 'm'],
  ['joinRemote', 'J'],
  ['joinLocal', 'j'],
  ['backupRemote', 'B'],
  ['backupLocal', 'b'],
  ['fullyEstablished', 'e'],
  ['connected', 'c'],
  ['mapValid', 'v'],
] as const;

export type SubflowFlagName = (typeof SUBFLOW_FLAGS)[number][0];

export interface MptcpSubflowUlp {
  /** The token of the MPTCP connection this subflow belongs to, on this host (mptcp_info's token). */
  tokenLocal?: number;
  tokenRemote?: number;
  idLocal?: number;
  idRemote?: number;
  flags: number;
  /** The set flags by name. */
  flagNames: SubflowFlagName[];
  /** ss's letters for the set flags ("Mec"). */
  flagLetters: string;
  mapDataLength?: number;
}

export interface UlpInfo {
  name: string;
  mptcp?: MptcpSubflowUlp;
}

export function decodeSubflowFlags(flags: number): { flagNames: SubflowFlagName[]; flagLetters: string } {
  const set = SUBFLOW_FLAGS.filter((_, bit) => (flags & (1 << bit)) !== 0);
  return { flagNames: set.map(([name]) => name), flagLetters: set.map(([, letter]) => letter).join('') };
}

export function decodeUlpInfo(bytes: Buffer): UlpInfo {
  const attributes = attributeMap(bytes);
  const name = attributes.get(INET_ULP_INFO_NAME);
  const info: UlpInfo = { name: name ? attributeString(name) : '' };
  const nested = attributes.get(INET_ULP_INFO_MPTCP);
  if (nested) {
    const sub = attributeMap(nested);
    const read = (type: number) => {
      const value = sub.get(type);
      return value ? attributeUint(value) : undefined;
    };
    const flags = read(MPTCP_SUBFLOW_ATTR_FLAGS) ?? 0;
    info.mptcp = {
      tokenLocal: read(MPTCP_SUBFLOW_ATTR_TOKEN_LOC),
      tokenRemote: read(MPTCP_SUBFLOW_ATTR_TOKEN_REM),
      idLocal: read(MPTCP_SUBFLOW_ATTR_ID_LOC),
      idRemote: read(MPTCP_SUBFLOW_ATTR_ID_REM),
      flags,
      ...decodeSubflowFlags(flags),
      mapDataLength: read(MPTCP_SUBFLOW_ATTR_MAP_DATALEN),
    };
  }
  return info;
}
