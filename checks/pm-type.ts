// pm.type: which path manager creates extra subflows. The in-kernel one follows `ip mptcp endpoint`;
// the userspace one (5.19+) does nothing unless a daemon (mptcpd) drives it: then every connection
// keeps its first subflow only. Selected by net.mptcp.path_manager (6.15+, a name) or pm_type (0/1).
import type { Check } from './types.js';

const DAEMONS = ['mptcpd'];

export const pmTypeCheck: Check = {
  id: 'pm.type',
  title: 'path manager',
  async run({ host }) {
    const [pathManager, pmType] = await Promise.all([host.sysctl('net.mptcp.path_manager'), host.sysctl('net.mptcp.pm_type')]);
    const evidence: string[] = [];
    if (pathManager !== undefined) evidence.push(`net.mptcp.path_manager = ${pathManager}`);
    if (pmType !== undefined) evidence.push(`net.mptcp.pm_type = ${pmType}`);
    if (pathManager === undefined && pmType === undefined) {
      return { status: 'pass', summary: 'in-kernel path manager (the only one before 5.19)', evidence: ['no path_manager or pm_type sysctl'] };
    }
    const kind = pathManager ?? (pmType === '1' ? 'userspace' : pmType === '0' ? 'kernel' : `pm_type ${pmType}`);
    if (kind === 'kernel') return { status: 'pass', summary: 'in-kernel path manager: endpoints come from ip mptcp endpoint', evidence };
    if (kind !== 'userspace') return { status: 'pass', summary: `path manager "${kind}"`, evidence };
    const daemons = (await host.processes()).filter((p) => DAEMONS.includes(p.name));
    evidence.push(daemons.length > 0 ? `running: ${daemons.map((d) => `${d.name} (pid ${d.pid})`).join(', ')}` : 'no mptcpd process');
    if (daemons.length > 0) return { status: 'pass', summary: `userspace path manager, driven by ${daemons[0]!.name}`, evidence };
    const back = pathManager !== undefined ? 'net.mptcp.path_manager=kernel' : 'net.mptcp.pm_type=0';
    return {
      status: 'warn',
      summary: 'userspace path manager but no daemon running: connections keep a single subflow',
      evidence,
      // Printed, not applied by `fix`: switching path manager undoes a deliberate choice.
      fix: {
        advice: 'Start the daemon that drives the userspace path manager, or return to the in-kernel one.',
        commands: [['systemctl', 'start', 'mptcp.service'], ['sysctl', '-w', back]],
      },
    };
  },
};
