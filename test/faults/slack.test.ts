import { afterAll, beforeAll, expect } from "vitest";
import type { RunWithThread } from "../../src/db/slack.ts";
import {
  CHANNEL,
  type Harness,
  REPO,
  REQUESTER,
  RUNS,
  SIGNING_SECRET,
  startHarness,
  waitFor,
} from "../slack/harness.ts";
import { form, sign, slashCommand } from "../slack/payloads.ts";
import { renderMessage } from "../slack/render-thread.ts";
import type { FakeMessage, FakeSlack, SlackCall } from "../support/fake-slack.ts";
import { faultTest, since } from "../support/faults.ts";

/**
 * Slack's limits as faults: 429s on a whole run, on the first post, and
 * signed requests that must not run (dated ahead, sent twice). Real Bolt over
 * signed HTTP, the fake Slack enforcing Retry-After.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const runs = async () => (await h.db.pool.query<RunWithThread>(`${RUNS} order by created_at`)).rows;
const rootPosts = (s: FakeSlack) =>
  s.callsTo("chat.postMessage").filter((c) => c.args.thread_ts === undefined && c.status === 200);
/** Messages Slack accepted more than once with the same content in the same place. */
function duplicatePosts(s: FakeSlack): number {
  const seen = new Set<string>();
  let dups = 0;
  for (const c of s.callsTo("chat.postMessage").filter((x) => x.response.ok === true)) {
    const k = JSON.stringify([c.args.channel, c.args.thread_ts, c.args.text, c.args.blocks]);
    if (seen.has(k)) dups++;
    seen.add(k);
  }
  return dups;
}
const signedBuild = (feature: string) =>
  sign(
    form(
      slashCommand({
        text: `build ${feature} --repo ${REPO}`,
        user: REQUESTER,
        channel: CHANNEL,
        responseUrl: h.slack.responseUrl(),
        triggerId: `trigger-${feature.length}`,
      }),
    ),
    "application/x-www-form-urlencoded",
    SIGNING_SECRET,
  );
const send = (s: { body: string; headers: Record<string, string> }) =>
  fetch(`http://127.0.0.1:${h.service.port}/slack/events`, {
    method: "POST",
    headers: s.headers,
    body: s.body,
  });

faultTest("Slack rate-limits the first post", async () => {
  const before = (await runs()).length;
  h.slack.rateLimit({ count: 2, retryAfter: 1, methods: ["chat.postMessage"] });
  const res = await h.command(`build say hello politely --repo ${REPO}`);
  expect(res.status).toBe(200);
  const run = await waitFor("the run", async () => (await runs())[before]);
  const attempts = h.slack
    .callsTo("chat.postMessage")
    .filter((c) => String(c.args.text).includes("say hello politely"));
  expect(attempts.map((c) => c.status)).toEqual([429, 429, 200]);
  expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(990);
  expect(run.thread_ts).toBe(attempts[2]!.response.ts);
  const told = h.slack.ephemerals.map((e) => e.text);
  expect(told.some((t) => t.includes("Slack is rate-limiting Paul's posts here"))).toBe(true);
  expect(told.some((t) => t.includes(":boom:"))).toBe(false);
  expect(await runs()).toHaveLength(before + 1);
  expect(duplicatePosts(h.slack)).toBe(0);
  return {
    outcome: "told the person, waited 2 × Retry-After 1 s, posted the root once, run started",
    recoverMs: attempts[2]!.at - attempts[1]!.at,
    runsLost: 0,
    duplicatePosts: duplicatePosts(h.slack),
  };
});

faultTest("Slack rate-limits the first post ten times in a row", async () => {
  const before = (await runs()).length;
  const ephemerals = h.slack.ephemerals.length;
  h.slack.rateLimit({ count: 10, retryAfter: 0, methods: ["chat.postMessage"] });
  await h.command(`build wave goodbye --repo ${REPO}`);
  const said = await waitFor("the answer", () =>
    h.slack.ephemerals.slice(ephemerals).find((e) => e.text.includes("kept rate-limiting")),
  );
  expect(said.text).toContain("so the run was not started");
  expect(said.text).toContain("try again in a minute");
  expect(h.slack.ephemerals.some((e) => e.text.includes(":boom:"))).toBe(false);
  expect(await runs()).toHaveLength(before);
  expect(
    h.slack.messages.filter((m) => m.text.includes("wave goodbye")),
    "nothing was posted",
  ).toEqual([]);
  return {
    outcome: "told the person the run was not started and to try again; nothing half-made",
    recoverMs: null,
    runsLost: 0,
    duplicatePosts: duplicatePosts(h.slack),
  };
});

faultTest("signed request dated 10 minutes ahead", async () => {
  const before = (await runs()).length;
  const calls = h.slack.calls.length;
  const res = await h.post(
    form(
      slashCommand({
        text: `build from the future --repo ${REPO}`,
        user: REQUESTER,
        channel: CHANNEL,
        responseUrl: h.slack.responseUrl(),
        triggerId: "trigger-future",
      }),
    ),
    "application/x-www-form-urlencoded",
    { timestamp: Math.floor(Date.now() / 1000) + 10 * 60 },
  );
  expect(res.status).toBe(401);
  await new Promise((r) => setTimeout(r, 300));
  expect(await runs()).toHaveLength(before);
  expect(h.slack.calls.slice(calls)).toEqual([]);
  expect(h.logs.some((l) => l.includes("more than five minutes from now"))).toBe(true);
  return {
    outcome: "refused with 401 before Bolt saw it; nothing ran",
    recoverMs: null,
    runsLost: 0,
    duplicatePosts: duplicatePosts(h.slack),
  };
});

faultTest("same signed /paul build twice", async () => {
  const before = (await runs()).length;
  const request = signedBuild("count to three");
  const first = await send(request);
  const again = await send(request);
  expect([first.status, again.status]).toEqual([200, 200]);
  expect(await again.text()).toBe("");
  const run = await waitFor("the run", async () => (await runs())[before]);
  await new Promise((r) => setTimeout(r, 500));
  await h.service.notifier.idle();
  expect(await runs()).toHaveLength(before + 1);
  expect(run.feature).toBe("count to three");
  expect(
    rootPosts(h.slack).filter((c) => String(c.args.text).includes("count to three")),
  ).toHaveLength(1);
  expect(h.logs.some((l) => l.includes("same signature") && l.includes("ignored"))).toBe(true);
  return {
    outcome: "the repeat got 200 and did nothing: one run, one thread",
    recoverMs: null,
    runsLost: 0,
    duplicatePosts: duplicatePosts(h.slack),
  };
});

const hasButton = (m: FakeMessage, label: string) =>
  m.blocks.some(
    (b) =>
      b.type === "actions" &&
      (b.elements as { text: { text: string } }[]).some((e) => e.text.text === label),
  );

/** Each 429 answer and its retry (the same call answered next): how long the answer cost. */
function waits(calls: SlackCall[]): number[] {
  const out: number[] = [];
  calls.forEach((c, i) => {
    if (c.status !== 429) return;
    const same = JSON.stringify(c.args);
    const retry = calls
      .slice(i + 1)
      .find((x) => x.method === c.method && JSON.stringify(x.args) === same);
    if (retry) out.push(retry.at - c.at);
  });
  return out;
}

faultTest(
  "Slack 429 Retry-After: 1 on every call of a run (60 answers)",
  async () => {
    const w = await startHarness({ worker: true });
    try {
      const started = performance.now();
      // Three answers per call, as a run's first twenty calls each reach the limit again and again.
      w.slack.rateLimit({ count: 60, retryAfter: 1, perCall: 3 });
      await w.command(`build Add a farewell(name) function with tests --repo ${REPO}`);
      const run = await waitFor(
        "the run",
        async () => (await w.db.pool.query<RunWithThread>(RUNS)).rows[0],
        60_000,
      );
      const thread = () => w.slack.thread(CHANNEL, run.thread_ts!);
      const click = async (label: string, text?: string) => {
        const m = await waitFor(
          `a question with "${label}"`,
          () =>
            thread().find((x) => hasButton(x, label) && (!text || renderMessage(x).includes(text))),
          120_000,
        );
        await w.click(m, label);
      };
      await click("Approve", "approach generation");
      await click("1. Separate module");
      await click("Approve", "Begin implementation?");
      await click("Create PR");
      const final = await waitFor(
        "the final message",
        () => thread().find((m) => renderMessage(m).includes(":tada: *Done*")),
        120_000,
      );
      await w.service.notifier.idle();
      const elapsed = since(started);

      const pr = w.github.pulls[0];
      expect(pr).toBeDefined();
      expect(renderMessage(final)).toContain(`<${pr!.html_url}|pull request #1>`);
      expect(renderMessage(thread()[0]!)).toContain(":white_check_mark: done");
      expect(thread().filter((m) => m.blocks.some((b) => b.type === "actions"))).toEqual([]);
      const status = (await w.db.pool.query<RunWithThread>(RUNS)).rows.map((r) => r.status);
      expect(status).toEqual(["done"]);
      expect(w.slack.rateLimited()).toBe(60);
      // Only 429s were refused, and each was retried.
      expect(w.slack.calls.filter((c) => c.response.ok !== true && c.status !== 429)).toEqual([]);
      const cost = waits(w.slack.calls);
      expect(cost).toHaveLength(60);
      const total = cost.reduce((a, b) => a + b, 0);
      // Never before Retry-After; in all close to it (WebClient's backoff on top cost 206 s).
      expect(Math.min(...cost)).toBeGreaterThanOrEqual(990);
      expect(total).toBeLessThan(60_000 * 1.5 + 5_000);
      const dups = duplicatePosts(w.slack);
      expect(dups).toBe(0);
      return {
        outcome: `60 answers' Retry-After (60 s) cost ${(total / 1000).toFixed(1)} s of waiting (${(total / 60_000).toFixed(2)}×); run finished in ${(elapsed / 1000).toFixed(0)} s, PR opened`,
        recoverMs: Math.max(...cost),
        runsLost: status.filter((s) => s !== "done").length,
        duplicatePosts: dups,
      };
    } finally {
      await w.close();
    }
  },
  400_000,
);
