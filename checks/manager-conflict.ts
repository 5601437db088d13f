// manager.conflict: mptcpd and NetworkManager (1.40+, connection.mptcp-flags) both add and remove
// in-kernel endpoints; running both, each undoes the other's endpoints as interfaces change.
import type { Check } from './types.js';

export const managerConflictCheck: Check = {
  id: 'manager.conflict',
  title: 'endpoint managers',
  async run({ host }) {
    const processes = await host.processes();
    const mptcpd = processes.filter((p) => p.name === 'mptcpd');
    const networkManager = processes.filter((p) => p.name === 'NetworkManager');
    const evidence = [
      `mptcpd: ${mptcpd.length > 0 ? `running (pid ${mptcpd.map((p) => p.pid).join(', ')})` : 'not running'}`,
      `NetworkManager: ${networkManager.length > 0 ? `running (pid ${networkManager.map((p) => p.pid).join(', ')})` : 'not running'}`,
    ];
    if (mptcpd.length > 0 && networkManager.length > 0) {
      return {
        status: 'warn',
        summary: 'mptcpd and NetworkManager both manage MPTCP endpoints and undo each other',
        evidence,
        fix: {
          advice:
            'Let one of them own the endpoints: stop mptcpd, or set connection.mptcp-flags to "disabled" on the ' +
            'NetworkManager connections (nmcli connection modify NAME connection.mptcp-flags disabled).',
          commands: [['systemctl', 'disable', '--now', 'mptcp.service']],
        },
      };
    }
    const owner = mptcpd.length > 0 ? 'mptcpd' : networkManager.length > 0 ? 'NetworkManager' : undefined;
    return {
      status: 'pass',
      summary: owner ? `only ${owner} manages endpoints` : 'no endpoint manager running: endpoints are as set with ip mptcp',
      evidence,
    };
  },
};
