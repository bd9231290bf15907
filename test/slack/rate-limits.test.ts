import { afterAll, beforeAll, expect, test } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { createSlackWeb, onRateLimited, type WebClient } from "../../src/slack/web.ts";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack.ts";
import { BOT_TOKEN, CHANNEL, GH_TOKEN, MODEL_KEY, SIGNING_SECRET } from "./harness.ts";

/**
 * Paul's Web API client against the fake Slack: a 429 costs its Retry-After
 * and nothing more, a rate limit holds back only its own method, and network
 * errors and 5xx still back off.
 */
let slack: FakeSlack;
let web: WebClient;
beforeAll(async () => {
  slack = await startFakeSlack({ token: BOT_TOKEN });
  const cfg = loadConfig(
    {
      ANTHROPIC_API_KEY: MODEL_KEY,
      GITHUB_TOKEN: GH_TOKEN,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
    },
    "serve",
  );
  web = createSlackWeb(cfg, () => {});
});
afterAll(async () => slack?.close());

const post = (text: string) => web.chat.postMessage({ channel: CHANNEL, text });
const timed = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

test("three 429s with Retry-After: 1 in a row cost about 3 s, not 3 s plus growing backoff", async () => {
  slack.rateLimit({ count: 3, retryAfter: 1, methods: ["chat.postMessage"] });
  const ms = await timed(() => post("after three 429s"));
  const attempts = slack
    .callsTo("chat.postMessage")
    .filter((c) => c.args.text === "after three 429s");
  expect(attempts.map((c) => c.status)).toEqual([429, 429, 429, 200]);
  expect(ms).toBeGreaterThanOrEqual(3000);
  // WebClient's own handling adds 250–500, 500–1000 and 1000–2000 ms of backoff: at least 4.75 s.
  expect(ms).toBeLessThan(4500);
});

test("each 429 is told to whoever asked (onRateLimited), with its Retry-After", async () => {
  slack.rateLimit({ count: 2, retryAfter: 1, methods: ["chat.postMessage"] });
  const told: number[] = [];
  await onRateLimited(
    (s) => told.push(s),
    () => post("told twice"),
  );
  expect(told).toEqual([1, 1]);
});

test("a rate-limited method holds back only itself: other methods go on at once", async () => {
  slack.rateLimit({ count: 1, retryAfter: 2, methods: ["chat.update"] });
  const root = await post("a message to update");
  const update = web.chat.update({ channel: CHANNEL, ts: root.ts!, text: "updated" });
  await new Promise((r) => setTimeout(r, 100));
  const ms = await timed(() => post("not held back"));
  await update;
  expect(ms).toBeLessThan(1500);
  expect(slack.messages.find((m) => m.ts === root.ts)?.text).toBe("updated");
});

test("5xx answers are still retried with backoff", async () => {
  slack.failNext(500, 0, 2);
  const ms = await timed(() => post("after two 500s"));
  expect(slack.messages.filter((m) => m.text === "after two 500s")).toHaveLength(1);
  // minTimeout 250 and factor 2: at least 250 + 500 ms between the three attempts.
  expect(ms).toBeGreaterThanOrEqual(700);
});

test("a call Slack keeps answering 429 fails after ten answers, as rate-limited", async () => {
  slack.rateLimit({ count: 10, retryAfter: 0, methods: ["chat.postMessage"] });
  await expect(post("never")).rejects.toMatchObject({ code: "slack_webapi_rate_limited_error" });
  expect(slack.messages.filter((m) => m.text === "never")).toHaveLength(0);
});
