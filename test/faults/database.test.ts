import pg from "pg";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { demoModel } from "../../src/demo/script.ts";
import {
  type MessagesRequest,
  type ModelServer,
  roleOf,
  startModelServer,
} from "../support/fake-anthropic.ts";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.ts";
import { faultTest, since } from "../support/faults.ts";
import { removeFixtures } from "../support/git-fixtures.ts";
import {
  cliEnv,
  GITHUB_TOKEN,
  MODEL_KEY,
  runPaul,
  sampleGitHubRemote,
  startPaul,
  waitFor,
} from "../support/harness.ts";
import { embeddedRunning, type PgServer, startPgServer } from "../support/pg-server.ts";
import { duplicatePosts, runsLost } from "../support/run-checks.ts";

// Postgres goes away under a real `paul` process: stopped, killed, or for
// longer than Paul waits. The model stand-in is where the fault is injected:
// it answers, and then the database goes (so the job finishing that call has
// to write its result and release itself over a dead connection).

let remote: Awaited<ReturnType<typeof sampleGitHubRemote>>;
let model: ModelServer;
let gh: FakeGitHub;
/** Runs once, on the first model call whose role matches; reset per case. */
let onCall: { role: string; fn: () => Promise<void>; before?: boolean } | undefined;

beforeAll(async () => {
  remote = await sampleGitHubRemote();
  gh = await startFakeGitHub({
    token: GITHUB_TOKEN,
    repos: { "acme/greetings": { bare: remote.bare, defaultBranch: "main" } },
  });
  model = await startModelServer({
    apiKey: MODEL_KEY,
    respond: async (req: MessagesRequest) => {
      const hook = onCall;
      if (hook && roleOf(req)?.startsWith(hook.role)) {
        onCall = undefined;
        if (hook.before) await hook.fn();
        // Otherwise after the answer has gone out.
        else setTimeout(() => void hook.fn(), 50);
      }
      return demoModel(req);
    },
  });
});

afterAll(async () => {
  await model.close();
  await gh.close();
  await removeFixtures();
});

const UNREACHABLE = /Database unreachable, retrying/g;

/** The CLI's environment for a case: its own database, the model and GitHub stand-ins. */
function envFor(dbUrl: string, extra: Record<string, string> = {}) {
  return cliEnv({
    dbUrl,
    modelUrl: model.url,
    githubWebUrl: remote.webUrl,
    extra: { GITHUB_TOKEN, GITHUB_API_URL: gh.url, ...extra },
  });
}

/** The outage as Paul measured it, from its "Database is back after N s" line. */
function downMs(stderr: string): number | null {
  const m = /Database is back after ([\d.]+) s/.exec(stderr);
  return m?.[1] ? Math.round(Number(m[1]) * 1000) : null;
}

async function onlyRun(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ id: string }>("select id from runs order by created_at desc limit 1");
    const id = r.rows[0]?.id;
    if (!id) throw new Error("no run was created");
    return id;
  } finally {
    await c.end();
  }
}

async function checks(url: string, ids: string[]) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    let dup = 0;
    for (const id of ids) {
      dup += await duplicatePosts(c, id);
      const prs = gh.pulls.filter((p) => p.head.ref.includes(id)).length;
      dup += Math.max(0, prs - 1);
    }
    return { lost: await runsLost(c, ids), dup };
  } finally {
    await c.end();
  }
}

describe("Postgres faults", () => {
  let pgs: PgServer[] = [];
  afterAll(async () => {
    for (const s of pgs) await s.stop().catch(() => {});
    pgs = [];
  });

  faultTest("Postgres restarts (down 3 s) during `paul build`", async () => {
    const server = await startPgServer();
    pgs.push(server);
    const env = await envFor(server.url);
    onCall = { role: "analysis", fn: () => server.blip(3000) };
    const res = await runPaul(["build", "add x", "--repo", "acme/greetings", "--yes"], env);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr.match(UNREACHABLE)?.length, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/Database is back after \d/);
    const id = await onlyRun(server.url);
    const { lost, dup } = await checks(server.url, [id]);
    expect(lost).toBe(0);
    expect(dup).toBe(0);
    return {
      outcome: "one line, waited, reconnected; run finished",
      recoverMs: downMs(res.stderr),
      runsLost: lost,
      duplicatePosts: dup,
    };
  });

  faultTest("embedded Postgres killed (SIGKILL) during `paul build`", async () => {
    const server = await startPgServer();
    await server.stop();
    const home = server.dataDir.replace(/\/postgres$/, "");
    const env: Record<string, string> = await envFor("");
    delete env.DATABASE_URL;
    Object.assign(env, { PAUL_HOME: home, PAUL_PG_PORT: String(server.port) });
    onCall = { role: "approaches", fn: () => server.kill() };
    const res = await runPaul(["build", "add x", "--repo", "acme/greetings", "--yes"], env);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr.match(UNREACHABLE)?.length, res.stderr).toBe(1);
    // Paul started the server again itself, and stopped it when it was done.
    expect(await embeddedRunning(home)).toBe(false);
    await server.start();
    pgs.push(server);
    const id = await onlyRun(server.url);
    const { lost, dup } = await checks(server.url, [id]);
    expect(lost).toBe(0);
    expect(dup).toBe(0);
    return {
      outcome: "Paul restarted its embedded server; run finished",
      recoverMs: downMs(res.stderr),
      runsLost: lost,
      duplicatePosts: dup,
    };
  });

  faultTest("Postgres down longer than PAUL_DB_WAIT_SECONDS (3 s)", async () => {
    const server = await startPgServer();
    pgs.push(server);
    const env = await envFor(server.url, { PAUL_DB_WAIT_SECONDS: "3" });
    onCall = { role: "judge", fn: () => server.stop() };
    const res = await runPaul(["build", "add x", "--repo", "acme/greetings", "--yes"], env);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.stderr.match(UNREACHABLE)?.length, res.stderr).toBe(1);
    const hint = /continue with `paul resume (r-\w+)`/.exec(res.stderr);
    expect(hint, res.stderr).not.toBeNull();
    expect(res.stderr).toContain("nothing is lost");
    await server.start();
    const t = performance.now();
    const id = hint?.[1] ?? "";
    const resumed = await runPaul(["resume", id, "--yes"], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const { lost, dup } = await checks(server.url, [id]);
    expect(lost).toBe(0);
    expect(dup).toBe(0);
    return {
      outcome: "clear stop naming `paul resume`; resume finished the run",
      recoverMs: since(t),
      runsLost: lost,
      duplicatePosts: dup,
    };
  });

  faultTest(
    "`paul worker` takes over a killed build's job at once, and rides out a Postgres restart",
    async () => {
      const server = await startPgServer();
      pgs.push(server);
      // Long enough that only the dead-PID rule can explain a quick takeover.
      const env = await envFor(server.url, { PAUL_WORKER_STALE_SECONDS: "600" });
      let killed: () => void = () => {};
      const held = new Promise<void>((r) => {
        killed = r;
      });
      let build: ReturnType<typeof startPaul> | undefined;
      // The build's worker has the approaches job when the build is killed.
      onCall = {
        role: "approaches",
        before: true,
        fn: async () => {
          build?.kill("SIGKILL");
          await build?.done;
          killed();
        },
      };
      build = startPaul(["build", "add x", "--repo", "acme/greetings", "--yes"], env);
      await held;
      await build.done;
      const id = await onlyRun(server.url);
      // The taken-over job calls the model again; the database restarts under it.
      let blipped = false;
      onCall = {
        role: "approaches",
        fn: async () => {
          await server.blip(2000);
          blipped = true;
        },
      };
      const t = performance.now();
      const worker = startPaul(["worker"], env);
      let question = false;
      try {
        await waitFor(
          "the approaches question, asked by `paul worker`",
          async () => {
            const c = new pg.Client({ connectionString: server.url });
            c.on("error", () => {});
            try {
              await c.connect();
              const r = await c.query(
                "select 1 from ctas where run_id = $1 and phase = 'approaches' and status = 'pending'",
                [id],
              );
              question = (r.rowCount ?? 0) > 0;
              return question && blipped;
            } catch {
              return false;
            } finally {
              await c.end().catch(() => {});
            }
          },
          90_000,
        );
      } finally {
        worker.kill("SIGTERM");
      }
      const took = since(t);
      const w = await worker.done;
      expect(w.stderr).not.toMatch(/\n\s+at /);
      expect(w.code, w.stderr).toBe(0);
      expect(w.stderr.match(UNREACHABLE)?.length).toBe(1);
      // A 600 s stale window: only the dead-PID rule gets there this soon.
      expect(took).toBeLessThan(120_000);
      const { dup } = await checks(server.url, [id]);
      expect(dup).toBe(0);
      return {
        outcome: "dead PID's job taken at once; worker rode out the restart; question asked once",
        recoverMs: downMs(w.stderr),
        runsLost: question ? 0 : 1,
        duplicatePosts: dup,
      };
    },
    180_000,
  );
});
