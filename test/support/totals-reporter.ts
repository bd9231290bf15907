import { appendFileSync } from "node:fs";
import type { Reporter, SerializedError, TestModule } from "vitest/node";

/**
 * One plain line at the end of every run: `N passed, N failed, N skipped`.
 * A file that failed outside any test (an import error, a throwing hook with
 * no test left to fail) counts as one failure, and so does each unhandled
 * error, so `0 failed` is only printed when the exit code is 0 too.
 * With PAUL_TEST_TOTALS set, the line is also appended to that file (CI
 * collects the totals of each pass there).
 */
export default class TotalsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>) {
    let passed = 0;
    let failed = unhandled.length;
    let skipped = 0;
    for (const m of modules) {
      let failedHere = 0;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failedHere++;
        else skipped++;
      }
      if (failedHere === 0 && m.state() === "failed") failedHere = 1;
      failed += failedHere;
    }
    const line = `${passed} passed, ${failed} failed, ${skipped} skipped`;
    process.stdout.write(`\n${line}\n`);
    const file = process.env.PAUL_TEST_TOTALS;
    if (file) appendFileSync(file, `${line}\n`);
  }
}
