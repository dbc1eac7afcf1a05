import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real neuron processes; two cores do not like many at once.
    maxWorkers: 2,
    minWorkers: 1,
    pool: "forks",
  },
});
