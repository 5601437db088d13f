// `--only`, shared by `check` and `fix`.
import { checkIds, selectChecks } from '../../checks/registry.js';
import { UsageError } from './errors.js';

/** `--only a,b --only c` -> ['a', 'b', 'c']; unknown ids are a usage error naming the valid ones. */
export function parseOnly(values: string[] | undefined): string[] | undefined {
  const ids = (values ?? []).flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter(Boolean);
  if (ids.length === 0) return undefined;
  const { unknown } = selectChecks(ids);
  if (unknown.length > 0) throw new UsageError(`unknown check id ${unknown.join(', ')} (known: ${checkIds.join(', ')})`);
  return ids;
}
