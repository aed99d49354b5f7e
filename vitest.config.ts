import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Shell-out tests run the built CLI: rebuild dist/ first when it is older than src/.
    globalSetup: ['./test/support/buildDist.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summaryReporter.ts'],
  },
});
