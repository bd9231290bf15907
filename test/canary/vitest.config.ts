import { defineConfig } from "vitest/config";
import base from "../../vitest.config.ts";

// The project's own test setup (global setup with the embedded Postgres,
// reporters), aimed at the canaries only. Spread, not mergeConfig: merging
// would add the canaries to the normal include instead of replacing it.
export default defineConfig({
  ...base,
  test: { ...base.test, include: ["test/canary/*.canary.ts"] },
});
