// contrib/ansible's audit playbook run from the fleet's controller against its hosts, the way an
// operator would: an inventory naming each host's address and directories, the controller's key and
// known hosts, and a private Ansible home (no ansible.cfg or environment of this machine's).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execIn, type ExecResult } from '../lab/index.js';
import { packageRoot } from '../support/dist.js';
import type { Fleet } from './fleet-lab.js';

export const AUDIT_PLAYBOOK = join(packageRoot, 'contrib', 'ansible', 'audit.yml');

/** Where the playbook puts things on a host (each host has its own directory here). */
export function hostPaths(fleet: Fleet, name: string): { bin: string; state: string; textfile: string } {
  const root = fleet.host(name).root;
  return { bin: join(root, 'bin', 'mptcp-doctor'), state: join(root, 'state'), textfile: join(root, 'textfile') };
}

export interface PlaybookRun {
  result: ExecResult;
  /** Ansible's own log (ANSIBLE_LOG_PATH): the time of every task. */
  logFile: string;
}

/**
 * Runs audit.yml over every host of the fleet: `executable` is deployed, `check` runs everywhere,
 * a probe of `probe.url` on the host named `probe.host`, results fetched into `fetchDir`.
 */
export async function runAuditPlaybook(
  fleet: Fleet,
  options: { executable: string; fetchDir: string; probe?: { host: string; url: string }; timeoutMs?: number },
): Promise<PlaybookRun> {
  const inventory = join(fleet.tmpDir, 'inventory.ini');
  writeFileSync(inventory, [
    '[fleet]',
    ...fleet.hosts.map((host) => {
      const p = hostPaths(fleet, host.name);
      const probe = options.probe?.host === host.name ? ` mptcp_doctor_probe_url=${options.probe.url}` : '';
      return `${host.name} ansible_host=${host.address} mptcp_doctor_bin=${p.bin} mptcp_doctor_state_dir=${p.state} mptcp_doctor_textfile_dir=${p.textfile}${probe}`;
    }),
    '[fleet:vars]',
    'ansible_user=root',
    // Logged in as root: no sudo needed (nor installed here).
    'ansible_become=false',
    'ansible_python_interpreter=/usr/bin/python3',
    `ansible_ssh_private_key_file=${fleet.clientKey}`,
    // This machine's ssh configuration stays out of it; host keys are checked against the fleet's.
    `ansible_ssh_common_args='-F /dev/null -o UserKnownHostsFile=${fleet.knownHosts} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes'`,
    '',
  ].join('\n'));
  const ansible = join(fleet.tmpDir, 'ansible');
  const logFile = join(ansible, 'log');
  const result = await execIn(fleet.controller, [
    'ansible-playbook', '-i', inventory, AUDIT_PLAYBOOK,
    '-e', `mptcp_doctor_executable=${options.executable}`, '-e', `mptcp_doctor_fetch_dir=${options.fetchDir}`,
  ], {
    cwd: fleet.tmpDir,
    timeoutMs: options.timeoutMs ?? 300_000,
    env: {
      ANSIBLE_HOME: ansible,
      ANSIBLE_LOCAL_TEMP: join(ansible, 'tmp'),
      ANSIBLE_REMOTE_TEMP: join(ansible, 'remote-tmp'),
      ANSIBLE_SSH_CONTROL_PATH_DIR: join(ansible, 'cp'),
      ANSIBLE_CONFIG: join(fleet.tmpDir, 'no-ansible.cfg'),
      ANSIBLE_PIPELINING: 'true',
      ANSIBLE_FORKS: '3',
      ANSIBLE_NOCOLOR: 'true',
      ANSIBLE_RETRY_FILES_ENABLED: 'false',
      ANSIBLE_LOG_PATH: logFile,
      // Ansible's default arguments less -C: compressing the 80 MiB executable costs more CPU
      // than it saves on a link inside one machine.
      ANSIBLE_SSH_ARGS: '-o ControlMaster=auto -o ControlPersist=60s',
    },
  });
  return { result, logFile };
}
