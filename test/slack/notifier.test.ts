import { afterAll, beforeAll, expect, test } from "vitest";
import { insertEvent } from "../../src/db/events.ts";
import type { RunWithThread } from "../../src/db/slack.ts";
import { CHANNEL, type Harness, REPO, RUNS, startHarness, waitFor } from "./harness.ts";
import { renderMessage } from "./render-thread.ts";

/**
 * The thread follows run_events: woken by LISTEN (the sweep here is too slow
 * to matter), one update per message per second at most, and a cursor in the
 * database so a restart neither reposts nor misses anything.
 */
let h: Harness;
let run: RunWithThread;
beforeAll(async () => {
  h = await startHarness({ sweepMs: 60_000, updateIntervalMs: 1000 });
  await h.command(`build add a farewell function --repo ${REPO}`);
  run = await waitFor("the run", async () => (await h.db.pool.query<RunWithThread>(RUNS)).rows[0]);
  await h.service.notifier.idle();
});
afterAll(async () => h?.close());

const rootUpdates = () => h.slack.callsTo("chat.update").filter((c) => c.args.ts === run.thread_ts);
/** Replies Slack accepted (a rate-limited attempt is recorded too, but not posted). */
const replies = () =>
  h.slack
    .callsTo("chat.postMessage")
    .filter((c) => c.args.thread_ts === run.thread_ts && c.response.ok === true);
const root = () => h.slack.thread(CHANNEL, run.thread_ts!)[0]!;

test("a burst of progress is coalesced into a few updates of the root, the last state winning", async () => {
  const before = rootUpdates().length;
  const started = Date.now();
  await insertEvent(h.db.pool, run.id, "phase_started", { phase: "implementation", revision: 0 });
  for (let i = 1; i <= 40; i++) {
    await insertEvent(h.db.pool, run.id, "progress", {
      phase: "implementation",
      message: `T1: attempt ${i} of 40 (model)`,
    });
    await insertEvent(h.db.pool, run.id, "progress", {
      phase: "implementation",
      message: `T1: gate test ${i % 2 ? "running" : "passed"}`,
    });
  }
  await waitFor(
    "the last state",
    () => renderMessage(root()).includes("*T1* attempt 40 of 40 · gate test passed"),
    10_000,
  );
  const elapsed = Date.now() - started;
  await h.service.notifier.idle();
  const updates = rootUpdates().slice(before);
  // 81 events; at most one update per second plus the leading one.
  expect(updates.length).toBeGreaterThanOrEqual(1);
  expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsed / 1000) + 2);
  for (let i = 1; i < updates.length; i++)
    expect(updates[i]!.at - updates[i - 1]!.at).toBeGreaterThanOrEqual(950);
  // Progress is shown in place, never posted into the thread.
  expect(replies()).toEqual([]);
});

test("a restarted service neither reposts nor misses: events written while it was down are shown once", async () => {
  await insertEvent(h.db.pool, run.id, "warning", { message: "first warning" });
  await waitFor("the first warning", () =>
    replies().some((c) => String(c.args.text).includes("first warning")),
  );
  await h.service.notifier.idle();
  await h.service.stop();
  await insertEvent(h.db.pool, run.id, "warning", { message: "written while Paul was down" });
  const postsBefore = h.slack.callsTo("chat.postMessage").length;

  await h.restart();
  await waitFor("the missed warning", () =>
    replies().some((c) => String(c.args.text).includes("written while Paul was down")),
  );
  await h.service.notifier.idle();
  const newPosts = h.slack.callsTo("chat.postMessage").slice(postsBefore);
  expect(newPosts.map((c) => c.args.text)).toEqual([":warning: written while Paul was down"]);
  expect(replies().filter((c) => String(c.args.text).includes("first warning"))).toHaveLength(1);
  // The root was not posted again either.
  expect(
    h.slack.callsTo("chat.postMessage").filter((c) => c.args.thread_ts === undefined),
  ).toHaveLength(1);
});

test("a post rate-limited by Slack (429) waits for Retry-After and then goes through, once", async () => {
  h.slack.failNext(429, 1);
  await insertEvent(h.db.pool, run.id, "warning", { message: "after a 429" });
  await waitFor(
    "the warning",
    () => replies().some((c) => String(c.args.text).includes("after a 429")),
    15_000,
  );
  const attempts = h.slack
    .callsTo("chat.postMessage")
    .filter((c) => String(c.args.text).includes("after a 429"));
  expect(attempts.map((c) => c.status)).toEqual([429, 200]);
  expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1000);
  await h.service.notifier.idle();
  expect(replies().filter((c) => String(c.args.text).includes("after a 429"))).toHaveLength(1);
});

test("while Slack rate-limits posts, a reply goes before the root's redraw, which shows the latest state once", async () => {
  await h.service.notifier.idle();
  // Past the update interval, so the burst's first redraw would be due at once.
  await new Promise((r) => setTimeout(r, 1100));
  const before = h.slack.calls.length;
  h.slack.rateLimit({ count: 1, retryAfter: 1, methods: ["chat.postMessage"] });
  // One transaction: the notifier sees the whole burst at once, as after a busy moment.
  const c = await h.db.pool.connect();
  try {
    await c.query("begin");
    const progress = (i: number) =>
      insertEvent(c, run.id, "progress", {
        phase: "implementation",
        message: `T1: attempt ${i} of 20 (model)`,
      });
    for (let i = 1; i <= 10; i++) await progress(i);
    await insertEvent(c, run.id, "warning", { message: "people read this first" });
    for (let i = 11; i <= 20; i++) await progress(i);
    await c.query("commit");
  } finally {
    c.release();
  }
  await waitFor(
    "the latest state",
    () => renderMessage(root()).includes("attempt 20 of 20"),
    15_000,
  );
  await h.service.notifier.idle();
  const after = h.slack.calls.slice(before).filter((x) => x.status === 200);
  const warning = after.findIndex((x) => String(x.args.text).includes("people read this first"));
  const updates = after.filter((x) => x.method === "chat.update" && x.args.ts === run.thread_ts);
  expect(warning).toBeGreaterThanOrEqual(0);
  expect(after.findIndex((x) => x.method === "chat.update")).toBeGreaterThan(warning);
  // 21 events while the reply waited out its 429: one redraw, already showing the last of them.
  expect(updates).toHaveLength(1);
  expect(JSON.stringify(updates[0]!.args.blocks)).toContain("attempt 20 of 20");
});

test("only one notifier per database is active: a second one stands by", async () => {
  const { startNotifier } = await import("../../src/slack/notifier.ts");
  const second = await startNotifier({
    pool: h.db.pool,
    connectionString: h.db.url,
    web: h.service.web,
    redact: (s) => s,
    log: () => {},
    sweepMs: 60_000,
  });
  try {
    expect(h.service.notifier.isLeader()).toBe(true);
    expect(second.isLeader()).toBe(false);
    const posts = h.slack.callsTo("chat.postMessage").length;
    await insertEvent(h.db.pool, run.id, "warning", { message: "shown once" });
    await waitFor("the warning", () =>
      replies().some((c) => String(c.args.text).includes("shown once")),
    );
    await h.service.notifier.idle();
    expect(h.slack.callsTo("chat.postMessage").length).toBe(posts + 1);
  } finally {
    await second.stop();
  }
});
