import type { Reporter, TestModule } from "vitest/node";
import type { FaultRow } from "./faults.ts";

/**
 * Prints the fault suite as a table, one row per fault case, in file order:
 * fault · outcome · time to recover · runs lost · duplicate posts. A case that
 * failed is listed as FAILED so the table never hides one.
 */
export default class FaultsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    const rows: string[] = [];
    for (const m of [...modules].sort((a, b) => a.moduleId.localeCompare(b.moduleId))) {
      for (const t of m.children.allTests()) {
        const row: FaultRow | undefined = t.meta().fault;
        const state = t.result().state;
        if (row && state === "passed") rows.push(line(row));
        else if (state === "failed") rows.push(`| ${t.name} | FAILED | – | ? | ? |`);
      }
    }
    if (rows.length === 0) return;
    process.stdout.write(
      [
        "",
        "| fault | outcome | time to recover | runs lost | duplicate posts |",
        "| --- | --- | --- | --- | --- |",
        ...rows,
        "",
      ].join("\n"),
    );
  }
}

function line(r: FaultRow): string {
  const t =
    r.recoverMs === null
      ? "–"
      : r.recoverMs < 1000
        ? `${r.recoverMs} ms`
        : `${(r.recoverMs / 1000).toFixed(1)} s`;
  return `| ${r.fault} | ${r.outcome} | ${t} | ${r.runsLost} | ${r.duplicatePosts} |`;
}
