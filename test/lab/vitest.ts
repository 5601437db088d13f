// vitest glue, kept out of index.ts so the harness also loads outside vitest (the lab CLI).
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createLab, type Lab } from './lab.js';
import type { LabSpec } from './topology.js';

/**
 * Builds a lab in beforeAll and destroys it in afterAll (also when tests fail); after each test,
 * passed or failed, its links are up and unshaped again (Lab.restorePaths). Returns a getter:
 * `const lab = useLab({...}); it('...', async () => { await lab().exec(...) })`.
 */
export function useLab(spec: LabSpec): () => Lab {
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await createLab(spec);
  });
  afterEach(async () => {
    await lab?.restorePaths();
  });
  afterAll(async () => {
    await lab?.destroy();
  });
  return () => {
    if (!lab) throw new Error('lab: not built (beforeAll failed or skipped)');
    return lab;
  };
}
