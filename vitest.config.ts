import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    setupFiles: ["test/support/setup.ts"],
    reporters: ["default", "./test/support/totals-reporter.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: files that spawn git, gates and workers must not all run at once.
    maxWorkers: 2,
    pool: "forks",
  },
});
