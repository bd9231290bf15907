import { afterAll, beforeAll, expect, test } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { createSlackWeb, slackErrorCode } from "../../src/slack/web.ts";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack.ts";

/** The fake enforces Slack's rules, and Paul's Web API client copes with what Slack answers. */
const TOKEN = "xoxb-fake-slack-test-token";
let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack({ token: TOKEN });
});
afterAll(async () => slack?.close());

const web = (token = TOKEN) =>
  createSlackWeb(
    loadConfig(
      { SLACK_BOT_TOKEN: token, SLACK_SIGNING_SECRET: "x".repeat(16), SLACK_API_URL: slack.apiUrl },
      "read",
    ),
    () => {},
  );
const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });
const buttons = (label: string, value = "v") => ({
  type: "actions",
  elements: [{ type: "button", action_id: "a", text: { type: "plain_text", text: label }, value }],
});

async function slackError(
  p: Promise<unknown>,
): Promise<{ code: string | undefined; messages: string[] }> {
  try {
    await p;
  } catch (e) {
    const data = (e as { data?: { response_metadata?: { messages?: string[] } } }).data;
    return { code: slackErrorCode(e), messages: data?.response_metadata?.messages ?? [] };
  }
  throw new Error("Slack accepted it");
}

test("a wrong or missing token is refused with invalid_auth / not_authed", async () => {
  expect(
    (await slackError(web("xoxb-wrong-token-0000").chat.postMessage({ channel: "C1", text: "hi" })))
      .code,
  ).toBe("invalid_auth");
  const raw = await fetch(`${slack.apiUrl}chat.postMessage`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ channel: "C1", text: "hi" }),
  });
  expect(await raw.json()).toEqual({ ok: false, error: "not_authed" });
});

test("Block Kit limits are enforced with invalid_blocks, as Slack does", async () => {
  const w = web();
  const cases: [unknown[], string][] = [
    [
      Array.from({ length: 51 }, () => section("x")),
      "no more than 50 items allowed [json-pointer:/blocks]",
    ],
    [
      [section("x".repeat(3001))],
      "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ],
    [
      [buttons("y".repeat(76))],
      "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ],
    [
      [buttons("ok", "z".repeat(2001))],
      "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
    ],
    [
      [{ type: "header", text: { type: "plain_text", text: "h".repeat(151) } }],
      "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ],
    [[{ type: "section" }], "must provide text or fields [json-pointer:/blocks/0]"],
    [[{ type: "video_game" }], "unsupported type `video_game` [json-pointer:/blocks/0/type]"],
  ];
  for (const [blocks, message] of cases) {
    const e = await slackError(
      w.chat.postMessage({ channel: "C1", text: "t", blocks: blocks as never }),
    );
    expect(e.code).toBe("invalid_blocks");
    expect(e.messages).toContain(`[ERROR] ${message}`);
  }
  expect(
    (await slackError(w.chat.postMessage({ channel: "C1", text: "t".repeat(40_001) }))).code,
  ).toBe("msg_too_long");
  // At the limits exactly, Slack says yes.
  const okay = await w.chat.postMessage({
    channel: "C1",
    text: "t",
    blocks: [
      ...Array.from({ length: 49 }, () => section("x".repeat(3000))),
      buttons("b".repeat(75), "v".repeat(2000)),
    ] as never,
  });
  expect(okay.ok).toBe(true);
  expect((await slackError(w.chat.update({ channel: "C1", ts: "1.2", text: "x" }))).code).toBe(
    "message_not_found",
  );
});

test("a 429 is retried after its Retry-After, and the call then succeeds", async () => {
  const before = slack.calls.length;
  slack.failNext(429, 1);
  const started = Date.now();
  const r = await web().chat.postMessage({ channel: "C1", text: "after the rate limit" });
  const elapsed = Date.now() - started;
  expect(r.ok).toBe(true);
  const calls = slack.calls.slice(before);
  expect(calls.map((c) => c.status)).toEqual([429, 200]);
  expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
  expect(elapsed).toBeGreaterThanOrEqual(1000);
  expect(slack.messages.at(-1)?.text).toBe("after the rate limit");
});

test("a thread reads back root first, replies in order, with updates applied", async () => {
  const w = web();
  const root = await w.chat.postMessage({ channel: "C2", text: "root v1" });
  await w.chat.postMessage({ channel: "C2", thread_ts: root.ts!, text: "first reply" });
  await w.chat.postMessage({ channel: "C2", thread_ts: root.ts!, text: "second reply" });
  await w.chat.update({ channel: "C2", ts: root.ts!, text: "root v2" });
  expect(
    (await slackError(w.chat.postMessage({ channel: "C2", thread_ts: "9.9", text: "lost" }))).code,
  ).toBe("thread_not_found");
  const t = slack.thread("C2", root.ts!);
  expect(t.map((m) => m.text)).toEqual(["root v2", "first reply", "second reply"]);
  expect(t[0]!.history.map((v) => v.text)).toEqual(["root v1", "root v2"]);
});
