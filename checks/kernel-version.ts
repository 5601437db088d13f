// Kernel releases and what each MPTCP feature needs (docs/mptcp-facts.md).

export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
}

/** '6.18.44-fc-v669' -> 6.18.44; undefined when it does not start with numbers. */
export function parseKernelRelease(release: string): KernelVersion | undefined {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
}

export function atLeast(version: KernelVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

/** MPTCP sockets (5.6), MPTCP_INFO (5.9), TCP_IS_MPTCP (5.16), MPTCP_FULL_INFO (6.5). */
export const FEATURE_RELEASES = {
  sockets: [5, 6],
  mptcpInfo: [5, 9],
  tcpIsMptcp: [5, 16],
  fullInfo: [6, 5],
  /** The first long-term kernel with usable MPTCP (MP_JOIN, path manager, MPTCP_INFO). */
  recommended: [5, 10],
} as const satisfies Record<string, readonly [number, number]>;

export interface OfferedOptions {
  mptcpInfo: boolean;
  tcpIsMptcp: boolean;
  fullInfo: boolean;
}

export function optionsForRelease(version: KernelVersion): OfferedOptions {
  const has = (feature: readonly [number, number]) => atLeast(version, feature[0], feature[1]);
  return {
    mptcpInfo: has(FEATURE_RELEASES.mptcpInfo),
    tcpIsMptcp: has(FEATURE_RELEASES.tcpIsMptcp),
    fullInfo: has(FEATURE_RELEASES.fullInfo),
  };
}

export const OPTION_NAMES: Record<keyof OfferedOptions, string> = {
  mptcpInfo: 'MPTCP_INFO',
  tcpIsMptcp: 'TCP_IS_MPTCP',
  fullInfo: 'MPTCP_FULL_INFO',
};

export function listOptions(options: OfferedOptions): string {
  const names = (Object.keys(OPTION_NAMES) as Array<keyof OfferedOptions>).filter((k) => options[k]).map((k) => OPTION_NAMES[k]);
  return names.length > 0 ? names.join(', ') : 'none';
}
