// A throwaway network namespace for the check/fix end-to-end tests: loopback up and one veth pair
// (both ends inside, this kernel has no dummy links) with TEST-NET addresses. Self-contained on
// purpose; the multi-namespace lab is test/lab.
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { nextNamespaceName } from '../../lab/names.js';

export { cliPath, packageRoot } from '../../support/dist.js';
import { cliPath } from '../../support/dist.js';

/** The compiled CLI; `npm ci` / `npm run build` make it. Fails clearly instead of building here. */
export function requireCli(): string {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build first`);
  return cliPath;
}


export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface CheckNamespace {
  name: string;
  /** Runs argv inside the namespace (never rejects on exit code; 20 s limit). */
  exec(argv: string[], options?: { timeoutMs?: number; env?: Record<string, string> }): Promise<CommandResult>;
  /** Runs the compiled CLI inside the namespace. */
  cli(args: string[], options?: { prefix?: string[]; env?: Record<string, string> }): Promise<CommandResult>;
  sysctl(key: string): Promise<string>;
  destroy(): Promise<void>;
}

export async function createCheckNamespace(label: string): Promise<CheckNamespace> {
  const name = nextNamespaceName(`chk-${label}`);
  await execa('ip', ['netns', 'add', name], { timeout: 10_000 });
  const ns: CheckNamespace = {
    name,
    async exec(argv, options = {}) {
      const result = await execa('ip', ['netns', 'exec', name, ...argv], {
        reject: false,
        timeout: options.timeoutMs ?? 20_000,
        stdin: 'ignore',
        env: { NO_COLOR: '1', ...options.env },
      });
      return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? -1 };
    },
    cli(args, options = {}) {
      return ns.exec([...(options.prefix ?? []), process.execPath, requireCli(), ...args], { env: options.env });
    },
    async sysctl(key) {
      const result = await ns.exec(['sysctl', '-n', key]);
      if (result.exitCode !== 0) throw new Error(`sysctl -n ${key} in ${name}: ${result.stderr}`);
      return result.stdout.trim();
    },
    async destroy() {
      await execa('ip', ['netns', 'delete', name], { reject: false, timeout: 10_000 });
    },
  };
  try {
    const ip = (...args: string[]) => execa('ip', ['-n', name, ...args], { timeout: 10_000 });
    await ip('link', 'set', 'lo', 'up');
    await ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    await ip('addr', 'add', '192.0.2.1/24', 'dev', 'v0');
    await ip('addr', 'add', '198.51.100.1/24', 'dev', 'v1');
    await ip('link', 'set', 'v0', 'up');
    await ip('link', 'set', 'v1', 'up');
    await ip('route', 'add', 'default', 'via', '192.0.2.254', 'dev', 'v0');
  } catch (error) {
    await ns.destroy();
    throw error;
  }
  return ns;
}

/** Every net.mptcp.* value of the namespace this process is in. */
export async function readMptcpSysctls(): Promise<Record<string, string>> {
  const { readdir, readFile } = await import('node:fs/promises');
  const names = await readdir('/proc/sys/net/mptcp');
  const values: Record<string, string> = {};
  for (const n of names) values[n] = (await readFile(`/proc/sys/net/mptcp/${n}`, 'utf8')).trim();
  return values;
}
