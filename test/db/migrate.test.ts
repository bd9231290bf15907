import { expect, test } from "vitest";
import { migrate } from "../../src/db/migrate.ts";
import { createTestDb } from "../support/db.ts";

test("migrations are recorded once and graphile-worker's schema is installed", async () => {
  const db = await createTestDb();
  const names = await db.pool.query<{ name: string }>(
    "select name from paul_migrations order by name",
  );
  expect(names.rows.map((r) => r.name)).toContain("001_init.sql");
  // Running again applies nothing new.
  expect(await migrate(db.pool)).toEqual([]);
  const tables = await db.pool.query<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = 'public' order by 1",
  );
  expect(tables.rows.map((r) => r.table_name)).toEqual(
    expect.arrayContaining([
      "runs",
      "phase_results",
      "ctas",
      "memories",
      "impl_tasks",
      "coder_attempts",
      "gate_results",
      "llm_usage",
    ]),
  );
  const gw = await db.pool.query(
    "select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'graphile_worker' and p.proname = 'add_job'",
  );
  expect(gw.rowCount).toBeGreaterThan(0);
});

test("jobs queued before jobs carried their run's flag get it when 005 is applied", async () => {
  const db = await createTestDb();
  // As an older Paul queued it: a key starting with the run id, no flags.
  await db.pool.query(
    "select graphile_worker.add_job('analysis', '{}'::json, job_key := 'r-old1:analysis:0')",
  );
  await db.pool.query("delete from paul_migrations where name = '005_worker_pid.sql'");
  expect(await migrate(db.pool)).toEqual(["005_worker_pid.sql"]);
  const r = await db.pool.query(
    "select flags from graphile_worker._private_jobs where key = 'r-old1:analysis:0'",
  );
  expect(r.rows).toEqual([{ flags: { "run:r-old1": true } }]);
});
