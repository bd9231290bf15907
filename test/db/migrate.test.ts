import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { migrate } from "../../src/db/migrate.ts";
import { getRun, insertRun } from "../../src/db/runs.ts";
import { getSlackRun, openCtaMessages, runByThread } from "../../src/db/slack.ts";
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

test("006 moves Slack's columns of runs and questions into Slack's tables, keeping existing runs", async () => {
  const db = await createTestDb();
  // The database as Paul left it at 005, with runs in it.
  await db.pool.query("drop schema public cascade; create schema public");
  await db.pool.query(
    "create table paul_migrations (name text primary key, applied_at timestamptz not null default now())",
  );
  const dir = fileURLToPath(new URL("../../migrations/", import.meta.url));
  const old = (await readdir(dir)).filter((f) => /^00[1-5]_.*\.sql$/.test(f)).sort();
  expect(old).toHaveLength(5);
  for (const f of old) {
    await db.pool.query(await readFile(join(dir, f), "utf8"));
    await db.pool.query("insert into paul_migrations (name) values ($1)", [f]);
  }
  const run = (id: string, origin: string, channel: string | null, ts: string | null) =>
    db.pool.query(
      `insert into runs (id, feature, repo_spec, repo_url, repo_key, base_branch, origin, requester,
         channel, thread_ts, budget_usd, budget_tokens)
       values ($1, 'f', 'acme/x', 'u', 'k', 'main', $2, 'U1', $3, $4, 1, 1000)`,
      [id, origin, channel, ts],
    );
  await run("r-slack1", "slack", "C0A", "1700000000.000100");
  await run("r-slack2", "slack", "C0A", "1700000000.000200");
  await run("r-cli1", "cli", null, null);
  const cta = async (runId: string, phase: string, ref: unknown) =>
    (
      await db.pool.query<{ id: string }>(
        `insert into ctas (run_id, phase, revision, kind, prompt, options, status, message_ref)
         values ($1, $2, 0, 'approval', 'p', '[]', 'resolved', $3) returning id`,
        [runId, phase, ref === undefined ? null : JSON.stringify(ref)],
      )
    ).rows[0]?.id;
  const open = await cta("r-slack1", "analysis", { channel: "C0A", ts: "1700000001.1" });
  const closed = await cta("r-slack1", "approaches", {
    channel: "C0A",
    ts: "1700000002.2",
    closed: true,
  });
  await cta("r-slack2", "analysis", "not a message");
  await cta("r-cli1", "analysis", undefined);

  expect(await migrate(db.pool)).toContain("006_faces.sql");

  const runs = await db.pool.query("select id, origin, origin_ref from runs order by id");
  expect(runs.rows).toEqual([
    { id: "r-cli1", origin: "cli", origin_ref: null },
    { id: "r-slack1", origin: "slack", origin_ref: "C0A/1700000000.000100" },
    { id: "r-slack2", origin: "slack", origin_ref: "C0A/1700000000.000200" },
  ]);
  expect((await db.pool.query("select * from slack_threads order by run_id")).rows).toEqual([
    { run_id: "r-slack1", channel: "C0A", thread_ts: "1700000000.000100" },
    { run_id: "r-slack2", channel: "C0A", thread_ts: "1700000000.000200" },
  ]);
  expect((await db.pool.query("select * from slack_cta_messages order by cta_id")).rows).toEqual([
    { cta_id: open, channel: "C0A", ts: "1700000001.1", closed: false },
    { cta_id: closed, channel: "C0A", ts: "1700000002.2", closed: true },
  ]);
  // The Slack queries read the moved rows.
  expect((await runByThread(db.pool, "C0A", "1700000000.000200"))?.id).toBe("r-slack2");
  expect((await getSlackRun(db.pool, "r-slack1"))?.thread_ts).toBe("1700000000.000100");
  expect(await getSlackRun(db.pool, "r-cli1")).toBeUndefined();
  expect((await openCtaMessages(db.pool, "r-slack1")).map((m) => m.cta_id)).toEqual([open]);

  const columns = await db.pool.query<{ c: string }>(
    `select table_name || '.' || column_name as c from information_schema.columns
      where table_schema = 'public' and table_name in ('runs', 'ctas')
        and column_name in ('channel', 'thread_ts', 'message_ref')`,
  );
  expect(columns.rows).toEqual([]);
  const index = await db.pool.query("select to_regclass('runs_slack_channel_idx') as i");
  expect(index.rows[0]?.i).toBeNull();
  // A new face names itself; deleting a run takes its thread with it.
  await insertRun(db.pool, {
    id: "r-web2",
    feature: "f",
    repoSpec: "acme/x",
    repoUrl: "u",
    repoKey: "k",
    baseBranch: "main",
    origin: "web",
    originRef: "page/42",
    requester: "someone",
    budgetUsd: 1,
    budgetTokens: 1000,
  });
  expect((await getRun(db.pool, "r-web2"))?.origin_ref).toBe("page/42");
  await db.pool.query("delete from runs where id = 'r-slack1'");
  expect((await db.pool.query("select run_id from slack_threads")).rows).toEqual([
    { run_id: "r-slack2" },
  ]);
  expect((await db.pool.query("select cta_id from slack_cta_messages")).rows).toEqual([]);
});
