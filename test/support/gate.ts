// Tests that need root, network namespaces or a tool skip outside CI *with a printed reason*,
// and fail in CI (CI=true), where nothing may be skipped.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export type Requirement = 'root' | 'netns' | `tool:${string}` | `file:${string}`;

const inCi = process.env.CI === 'true' || process.env.CI === '1';

function unmet(requirement: Requirement): string | undefined {
  if (requirement === 'root') {
    return process.getuid?.() === 0 ? undefined : 'needs root';
  }
  if (requirement === 'netns') {
    if (process.getuid?.() !== 0) return 'network namespaces need root';
    return existsSync('/proc/self/ns/net') ? undefined : 'no network namespace support';
  }
  if (requirement.startsWith('file:')) {
    const file = requirement.slice('file:'.length);
    return existsSync(file) ? undefined : `needs ${file} (see npm run lab:deps)`;
  }
  const tool = requirement.slice('tool:'.length);
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `needs ${tool} (see npm run lab:deps)`;
  }
}

/**
 * Returns the reason the suite cannot run here, or undefined when it can. Prints the reason when
 * skipping; throws in CI so a missing requirement fails the run instead of skipping silently.
 */
export function missingRequirement(suite: string, ...requirements: Requirement[]): string | undefined {
  const reasons = requirements.map(unmet).filter((r): r is string => r !== undefined);
  if (reasons.length === 0) return undefined;
  const reason = `${suite}: skipped, ${reasons.join(', ')}`;
  if (inCi) throw new Error(`${reason}; CI must run it`);
  console.warn(reason);
  return reason;
}
