import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    // Finds or installs what tests need outside the lockfile (a browser, the Claude Code CLI), one line each.
    globalSetup: ["packages/testkit/src/provision/vitest-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real neuron processes; two cores do not like many at once.
    maxWorkers: 2,
    minWorkers: 1,
    pool: "forks",
  },
});
