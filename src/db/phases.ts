import type { Queryable } from "./pool.ts";
import { oneRow } from "./rows.ts";

export interface PhaseResultRow {
  id: string;
  run_id: string;
  phase: string;
  revision: number;
  output: unknown;
  created_at: Date;
}

export async function savePhaseResult(
  db: Queryable,
  runId: string,
  phase: string,
  revision: number,
  output: unknown,
): Promise<PhaseResultRow> {
  // A retried job that already stored its output keeps the first one.
  const res = await db.query<PhaseResultRow>(
    `insert into phase_results (run_id, phase, revision, output) values ($1,$2,$3,$4)
     on conflict (run_id, phase, revision) do update set output = phase_results.output returning *`,
    [runId, phase, revision, JSON.stringify(output)],
  );
  return oneRow(res, "upsert into phase_results");
}

export async function getPhaseResult(
  db: Queryable,
  runId: string,
  phase: string,
  revision?: number,
): Promise<PhaseResultRow | undefined> {
  const res =
    revision === undefined
      ? await db.query<PhaseResultRow>(
          "select * from phase_results where run_id = $1 and phase = $2 order by revision desc limit 1",
          [runId, phase],
        )
      : await db.query<PhaseResultRow>(
          "select * from phase_results where run_id = $1 and phase = $2 and revision = $3",
          [runId, phase, revision],
        );
  return res.rows[0];
}

export async function listPhaseResults(db: Queryable, runId: string): Promise<PhaseResultRow[]> {
  return (
    await db.query<PhaseResultRow>("select * from phase_results where run_id = $1 order by id", [
      runId,
    ])
  ).rows;
}

export async function nextRevision(db: Queryable, runId: string, phase: string): Promise<number> {
  const res = await db.query<{ n: number }>(
    "select coalesce(max(revision) + 1, 0)::int as n from phase_results where run_id = $1 and phase = $2",
    [runId, phase],
  );
  return res.rows[0]?.n ?? 0;
}
