import type { Queryable } from "./pool.ts";

export interface MemoryRow {
  id: string;
  run_id: string | null;
  repo_key: string;
  scope: "run" | "repo";
  kind: string;
  phase: string | null;
  content: string;
  author: string | null;
  created_at: Date;
}

export async function addMemory(
  db: Queryable,
  m: {
    runId: string | null;
    repoKey: string;
    scope: "run" | "repo";
    kind: string;
    phase?: string;
    content: string;
    author?: string;
  },
): Promise<void> {
  await db.query(
    "insert into memories (run_id, repo_key, scope, kind, phase, content, author) values ($1,$2,$3,$4,$5,$6,$7)",
    [m.runId, m.repoKey, m.scope, m.kind, m.phase ?? null, m.content, m.author ?? null],
  );
}

/** The run's own memories and the repository's learnings from earlier runs, oldest first. */
export async function memoriesFor(
  db: Queryable,
  runId: string,
  repoKey: string,
): Promise<MemoryRow[]> {
  const res = await db.query<MemoryRow>(
    `select * from memories where run_id = $1 or (scope = 'repo' and repo_key = $2) order by id`,
    [runId, repoKey],
  );
  return res.rows;
}
