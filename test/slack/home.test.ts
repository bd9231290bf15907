import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunWithThread } from "../../src/db/slack.ts";
import { insertUsage } from "../../src/db/usage.ts";
import { type Harness, REPO, RUNS, startHarness, waitFor } from "./harness.ts";

/** App Home: the user's runs, then the runs in channels they are in, and nothing from elsewhere. */
let h: Harness;
const byChannel: Record<string, RunWithThread> = {};
beforeAll(async () => {
  h = await startHarness({
    slack: { memberships: { U0ALICE: ["C0SHARED", "C0ALICE"], U0BOB: ["C0SHARED"] } },
  });
  const start = async (user: string, channel: string, feature: string) => {
    await h.command(`build ${feature} --repo ${REPO}`, { user, channel });
    byChannel[feature] = await waitFor(
      feature,
      async () =>
        (await h.db.pool.query<RunWithThread>(`${RUNS} where feature = $1`, [feature])).rows[0],
    );
  };
  await start("U0ALICE", "C0ALICE", "alice's own feature");
  await start("U0BOB", "C0SHARED", "bob's feature in a shared channel");
  await start("U0CAROL", "C0SECRET", "carol's feature in a channel alice is not in");
  const r = byChannel["alice's own feature"]!;
  await insertUsage(h.db.pool, {
    runId: r.id,
    phase: "analysis",
    role: "analysis",
    model: "m",
    inputTokens: 10,
    outputTokens: 10,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0.1234,
    latencyMs: 5,
  });
  await h.db.pool.query(
    "update runs set pr_url = 'https://github.example/acme/greetings/pull/7', pr_number = 7 where id = $1",
    [r.id],
  );
});
afterAll(async () => h?.close());

const homeText = (user: string) => {
  const v = h.slack.views.filter((x) => x.kind === "home" && x.user === user).at(-1);
  return v ? JSON.stringify(v.view.blocks) : undefined;
};

test("opening App Home publishes the user's runs and the runs they can see, with status, phase, cost and links", async () => {
  const res = await h.event({
    type: "app_home_opened",
    user: "U0ALICE",
    channel: "D0ALICE",
    tab: "home",
    event_ts: "1.1",
  });
  expect(res.status).toBe(200);
  const home = await waitFor("Alice's home", () => homeText("U0ALICE"));
  const mine = byChannel["alice's own feature"]!;
  const bobs = byChannel["bob's feature in a shared channel"]!;
  expect(home).toContain("Your recent runs");
  expect(home).toContain("alice's own feature");
  expect(home).toContain(
    `<https://paul-test.slack.com/archives/C0ALICE/p${mine.thread_ts!.replace(".", "")}|${mine.id}>`,
  );
  expect(home).toContain("running · Analysis · $0.1234 · <#C0ALICE>");
  expect(home).toContain("<https://github.example/acme/greetings/pull/7|PR #7>");
  expect(home).toContain("Runs in your channels");
  expect(home).toContain("bob's feature in a shared channel");
  expect(home).toContain(bobs.id);
  expect(home).not.toContain("carol's feature");
  expect(h.slack.callsTo("users.conversations")[0]?.args.user).toBe("U0ALICE");
});

test("someone with no runs and no shared channels gets a home that says so", async () => {
  await h.event({
    type: "app_home_opened",
    user: "U0DAVE",
    channel: "D0DAVE",
    tab: "home",
    event_ts: "1.2",
  });
  const home = await waitFor("Dave's home", () => homeText("U0DAVE"));
  expect(home).toContain("You have not started a run yet.");
  expect(home).toContain("No runs by others in channels you are in.");
});

test("opening the Messages tab publishes nothing", async () => {
  const before = h.slack.views.length;
  await h.event({
    type: "app_home_opened",
    user: "U0BOB",
    channel: "D0BOB",
    tab: "messages",
    event_ts: "1.3",
  });
  await h.event({
    type: "app_home_opened",
    user: "U0BOB",
    channel: "D0BOB",
    tab: "home",
    event_ts: "1.4",
  });
  await waitFor("Bob's home", () => homeText("U0BOB"));
  expect(h.slack.views.length).toBe(before + 1);
});
