import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Reporter, SerializedError, TestModule, Vitest } from "vitest/node";

/** Where the last run's totals line is kept (CI reads it after each pass). */
export const TOTALS_FILE = "node_modules/.cache/paul/test-totals";

/**
 * One plain line at the end of every run: `N passed, N failed, N skipped`.
 * A file that failed outside any test (an import error, a throwing hook with
 * no test left to fail) counts as one failure, and so does each unhandled
 * error, so `0 failed` is only printed when the exit code is 0 too. The line
 * is also written to TOTALS_FILE under the project root, so CI can collect
 * each pass's totals without running the test command any differently.
 */
export default class TotalsReporter implements Reporter {
  private root = process.cwd();

  onInit(vitest: Vitest) {
    this.root = vitest.config.root;
  }

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
    const file = join(this.root, TOTALS_FILE);
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, `${line}\n`);
  }
}
