import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native sockets and network namespaces: separate processes, and no more files at once than cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Removes namespaces left by dead runs first; fails the run if this one leaves any behind.
    globalSetup: ['test/lab/global-setup.ts'],
  },
});
