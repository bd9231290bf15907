import { expect, test } from "vitest";

// CI runs this on purpose and requires the run to FAIL: proof that a failing
// assertion still makes the test command exit non-zero.
test("canary: a failing assertion", () => {
  expect(1).toBe(2);
});
