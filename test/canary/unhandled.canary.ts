import { expect, test } from "vitest";

// CI requires this file's run to FAIL: an error thrown outside any test (a
// rejected promise nobody awaits) must not pass unnoticed.
test("canary: a rejection nobody handles", async () => {
  void Promise.reject(new Error("canary: unhandled rejection"));
  await new Promise((r) => setTimeout(r, 50));
  // Passes on purpose: the rejection outside any assertion is the only failure.
  expect(true).toBe(true);
});
