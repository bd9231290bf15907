import { beforeAll, expect, test } from "vitest";

// CI requires this file's run to FAIL: a setup hook that throws must not pass.
beforeAll(() => {
  throw new Error("canary: a setup hook that throws");
});

// The test itself is trivial on purpose: its body never runs, so only the
// throwing hook can make this file fail.
test("never reached", () => {
  expect(true).toBe(true);
});
