import type { Queryable } from "./pool.ts";

/** Every gate run: a coder attempt's (scope attempt) or the feature branch's (scope integration). */
export async function insertGateResult(
  db: Queryable,
  g: {
    runId: string;
    attemptId: string | null;
    scope: string;
    gate: string;
    status: "passed" | "failed";
    command: string;
    output: string;
    durationMs: number;
  },
): Promise<void> {
  await db.query(
    `insert into gate_results (run_id, attempt_id, scope, gate, status, command, output, duration_ms) values ($1,$2,$3,$4,$5,$6,$7,$8)`,
    [g.runId, g.attemptId, g.scope, g.gate, g.status, g.command, g.output, g.durationMs],
  );
}

export interface GateRow {
  attempt_id: string | null;
  scope: string;
  gate: string;
  status: "passed" | "failed";
  command: string;
  output: string;
  duration_ms: number;
}

export async function listGateResults(db: Queryable, runId: string): Promise<GateRow[]> {
  return (
    await db.query<GateRow>("select * from gate_results where run_id = $1 order by id", [runId])
  ).rows;
}
