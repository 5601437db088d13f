// A throwaway network namespace for tests that need their own sysctls, addresses or endpoints.
// (The multi-namespace lab with routers and middleboxes is test/lab.)
import { execa } from 'execa';
import { nextNamespaceName } from '../lab/names.js';

export interface Netns {
  name: string;
  /** Runs argv inside the namespace; rejects on non-zero exit unless `reject: false`. */
  exec(argv: string[], options?: { reject?: boolean; timeoutMs?: number; input?: string }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  destroy(): Promise<void>;
}

export async function createNetns(label: string): Promise<Netns> {
  const name = nextNamespaceName(label);
  await execa('ip', ['netns', 'add', name]);
  await execa('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return {
    name,
    async exec(argv, options = {}) {
      const result = await execa('ip', ['netns', 'exec', name, ...argv], {
        reject: options.reject ?? true,
        timeout: options.timeoutMs ?? 20_000,
        input: options.input,
      });
      return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? -1 };
    },
    async destroy() {
      await execa('ip', ['netns', 'delete', name], { reject: false });
    },
  };
}
