import { expect, test } from "vitest";
import { loadConfig } from "../src/config.ts";

test("a missing key for build names the variable, why build needs it and an example", () => {
  expect(() => loadConfig({}, "build")).toThrow(
    /ANTHROPIC_API_KEY: is not set\n\s+why: needed for `paul build`: .*\n\s+example: ANTHROPIC_API_KEY=sk-ant-/,
  );
});

test("reading commands need no key; malformed values are named with an example", () => {
  expect(loadConfig({}, "read").anthropic.apiKey).toBeUndefined();
  let message = "";
  try {
    loadConfig({ PAUL_BUDGET_USD: "lots", DATABASE_URL: "mysql://x" }, "read");
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toContain("PAUL_BUDGET_USD: is not valid");
  expect(message).toContain("example: PAUL_BUDGET_USD=10");
  expect(message).toContain("DATABASE_URL: is not valid (must be a postgres:// URL)");
});

test("defaults, and secrets feed the redactor", () => {
  const cfg = loadConfig(
    { ANTHROPIC_API_KEY: "sk-ant-secret-value-1234", GITHUB_TOKEN: "plain-token-value-xyz" },
    "build",
  );
  expect(cfg.budget).toEqual({ usd: 10, tokens: 5_000_000, minutes: 180 });
  expect(cfg.model).toEqual({ idleMs: 90_000, noticeMs: 15_000 });
  expect(cfg.maxCoderAttempts).toBe(5);
  expect(cfg.redact("key sk-ant-secret-value-1234 and plain-token-value-xyz")).toBe(
    "key [REDACTED] and [REDACTED]",
  );
});
