import { beforeAll, expect, test } from "vitest";

// CI requires this file's run to FAIL: a setup hook that throws must not pass.
beforeAll(() => {
  throw new Error("canary: a setup hook that throws");
});

test("never reached", () => {
  expect(true).toBe(true);
});
