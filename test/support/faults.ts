import { test } from "vitest";

/** One row of `npm run faults`: what was broken and what Paul did about it. */
export interface FaultRow {
  /** What went wrong, as an operator would say it ("Postgres down 3 s during build"). */
  fault: string;
  /** What Paul did, in a few words ("waited, retried, run finished"). */
  outcome: string;
  /** From the fault's end (or start, for faults that never end) to the run going on again; null when nothing had to recover. */
  recoverMs: number | null;
  runsLost: number;
  duplicatePosts: number;
}

declare module "vitest" {
  interface TaskMeta {
    fault?: FaultRow;
  }
}

/**
 * A fault-suite case: a test whose body injects one fault, asserts what must
 * hold (nothing lost, nothing posted twice, a true message) and returns the
 * row that `npm run faults` prints. The row is kept on the test's meta, so the
 * reporter reads it from the finished test; a failed test prints no row.
 */
export function faultTest(
  name: string,
  body: () => Promise<Omit<FaultRow, "fault">>,
  timeoutMs = 120_000,
): void {
  test(
    name,
    async ({ task }) => {
      const row = await body();
      task.meta.fault = { fault: name, ...row };
    },
    timeoutMs,
  );
}

/** Milliseconds since `start`, for recoverMs. */
export function since(start: number): number {
  return Math.round(performance.now() - start);
}
