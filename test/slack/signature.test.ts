import { afterAll, beforeAll, expect, test } from "vitest";
import { createReplayGuard, MAX_SKEW_SEC } from "../../src/slack/verify.ts";
import { CHANNEL, type Harness, REPO, startHarness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const body = () =>
  new URLSearchParams({
    team_id: "T0TEST",
    channel_id: CHANNEL,
    user_id: "U0INTRUDER",
    command: "/paul",
    text: `repo ${REPO}`,
    response_url: h.slack.responseUrl(),
    trigger_id: "t",
  }).toString();

async function nothingHappened() {
  const runs = await h.db.pool.query("select 1 from runs");
  const repos = await h.db.pool.query("select 1 from slack_channel_repos");
  expect(runs.rowCount).toBe(0);
  expect(repos.rowCount).toBe(0);
  expect(h.slack.ephemerals).toEqual([]);
  expect(h.slack.calls.filter((c) => c.method !== "auth.test")).toEqual([]);
  expect(h.github.requests).toEqual([]);
}

test("a request signed with the wrong secret gets 401 and changes nothing", async () => {
  const res = await h.post(body(), "application/x-www-form-urlencoded", {
    secret: "not-the-signing-secret",
  });
  expect(res.status).toBe(401);
  await new Promise((r) => setTimeout(r, 200));
  await nothingHappened();
});

test("a correctly signed but stale request (over 5 minutes old) gets 401 and changes nothing", async () => {
  const res = await h.post(body(), "application/x-www-form-urlencoded", {
    timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
  });
  expect(res.status).toBe(401);
  await new Promise((r) => setTimeout(r, 200));
  await nothingHappened();
});

test("a request with no signature at all gets 401", async () => {
  const res = await fetch(`http://127.0.0.1:${h.service.port}/slack/events`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: body(),
  });
  expect(res.status).toBe(401);
  await nothingHappened();
});

test("the same request, correctly signed, is acknowledged and acted on", async () => {
  const res = await h.post(body(), "application/x-www-form-urlencoded");
  expect(res.status).toBe(200);
  const saved = await (async () => {
    for (let i = 0; i < 100; i++) {
      const r = await h.db.pool.query<{ repo: string }>(
        "select repo from slack_channel_repos where channel = $1",
        [CHANNEL],
      );
      if (r.rows[0]) return r.rows[0].repo;
      await new Promise((res) => setTimeout(res, 50));
    }
    return undefined;
  })();
  expect(saved).toBe(REPO);
});

test("replay memory: a signature is known until its timestamp leaves the window, and the memory is capped", () => {
  const guard = createReplayGuard(3);
  const t = 1_700_000_000;
  expect(guard.repeated("v0=a", t, t * 1000)).toBe(false);
  expect(guard.repeated("v0=a", t, t * 1000 + 1000)).toBe(true);
  // Five minutes after its timestamp the request is stale anyway: nothing to remember.
  expect(guard.repeated("v0=b", t, (t + MAX_SKEW_SEC + 1) * 1000)).toBe(false);
  expect(guard.size()).toBe(1);
  for (const s of ["v0=c", "v0=d", "v0=e", "v0=f"]) guard.repeated(s, t + 400, (t + 400) * 1000);
  expect(guard.size()).toBe(3);
});
