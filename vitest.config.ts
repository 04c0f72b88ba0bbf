import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Real sockets and real servers: generous per-test limits, but every wait in
    // a test has its own, shorter deadline so a hang fails with a message.
    testTimeout: 20_000,
    hookTimeout: 120_000,
    pool: 'forks',
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
});
