import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Forks, not threads: lab tests spawn `ip netns exec` children and the
    // ICMP addon holds raw sockets; a crashed worker must not take others down.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here; more workers only add contention to timing-sensitive lab tests.
    maxWorkers: 2,
  },
});
