import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunWithThread } from "../../src/db/slack.ts";
import { promptText, roleOf } from "../../src/demo/model-server.ts";
import type { FakeMessage } from "../support/fake-slack.ts";
import { CHANNEL, type Harness, REPO, REQUESTER, RUNS, startHarness, waitFor } from "./harness.ts";
import { renderMessage, threadText } from "./render-thread.ts";

let h: Harness;
let run: RunWithThread;
beforeAll(async () => {
  h = await startHarness({ worker: true });
  await h.command(`build Add a farewell(name) function --repo ${REPO}`);
  run = await waitFor("the run", async () => (await h.db.pool.query<RunWithThread>(RUNS)).rows[0]);
}, 180_000);
afterAll(async () => h?.close());

const FEEDBACK = "Also mention the README: it documents every exported function.";
const thread = () => h.slack.thread(CHANNEL, run.thread_ts!);
const hasButton = (m: FakeMessage, label: string) => renderMessage(m).includes(`[${label}]`);
const analysisPrompts = () =>
  h.model.requests
    .filter((r) => roleOf(r) === "analysis" && r.messages.length === 1)
    .map(promptText);

test("a reply from the requester while Paul waits is stored as feedback on that phase and acknowledged", async () => {
  await waitFor(
    "the analysis question",
    () => thread().find((m) => hasButton(m, "Revise")),
    60_000,
  );
  const res = await h.event({
    type: "message",
    channel: CHANNEL,
    user: REQUESTER,
    text: "Keep it in plain ES modules please",
    ts: "1700000100.000001",
    thread_ts: run.thread_ts,
  });
  expect(res.status).toBe(200);
  const ack = await waitFor("the acknowledgement", () =>
    thread().find((m) => m.text.startsWith(":memo: Noted")),
  );
  expect(ack.text).toContain("feedback on the analysis");
  const mem = await h.db.pool.query(
    "select kind, phase, content, author from memories where kind = 'feedback'",
  );
  expect(mem.rows).toEqual([
    {
      kind: "feedback",
      phase: "analysis",
      content: "Keep it in plain ES modules please",
      author: REQUESTER,
    },
  ]);
}, 180_000);

test("replies by others, bot messages and Slack's retries of an event are not taken as feedback", async () => {
  const base = { type: "message", channel: CHANNEL, thread_ts: run.thread_ts };
  await h.event({
    ...base,
    user: "U0BYSTANDER",
    text: "looks good to me",
    ts: "1700000100.000002",
  });
  await h.event({
    ...base,
    user: REQUESTER,
    bot_id: "B0OTHER",
    text: "a bot speaking for the requester",
    ts: "1700000100.000003",
  });
  await h.event(
    {
      ...base,
      user: REQUESTER,
      text: "Keep it in plain ES modules please",
      ts: "1700000100.000001",
    },
    1,
  );
  await h.event({
    ...base,
    subtype: "message_changed",
    user: REQUESTER,
    text: "edited",
    ts: "1700000100.000004",
  });
  // Something the app does get must have been processed after the ignored ones.
  await h.event({
    ...base,
    user: REQUESTER,
    text: "One more thing: no default export",
    ts: "1700000100.000005",
  });
  await waitFor(
    "the second acknowledgement",
    () => thread().filter((m) => m.text.startsWith(":memo: Noted")).length === 2,
  );
  const mem = await h.db.pool.query<{ content: string }>(
    "select content from memories where kind = 'feedback' order by id",
  );
  expect(mem.rows.map((r) => r.content)).toEqual([
    "Keep it in plain ES modules please",
    "One more thing: no default export",
  ]);
}, 180_000);

test("Revise opens a modal; its feedback becomes a memory and the analysis re-runs with it in the agent's prompt", async () => {
  const q = thread().find((m) => hasButton(m, "Revise"))!;
  await h.click(q, "Revise");
  const modal = await waitFor("the modal", () => h.slack.views.find((v) => v.kind === "modal"));
  expect(modal.triggerId).toMatch(/^trigger-/);
  expect(JSON.stringify(modal.view)).toContain("What should change?");

  // An empty submission keeps the modal open with the error under the field, and decides nothing.
  const empty = await h.submitModal(modal.id, "   ");
  expect(await empty.json()).toEqual({
    response_action: "errors",
    errors: { feedback: "Tell Paul what should change." },
  });
  expect((await h.db.pool.query("select status from ctas")).rows[0]?.status).toBe("pending");

  const res = await h.submitModal(modal.id, FEEDBACK);
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("");
  await waitFor(
    "the analysis to run again with the feedback",
    () => analysisPrompts().some((p) => p.includes(FEEDBACK)),
    60_000,
  );
  expect(analysisPrompts()).toHaveLength(2);
  // The thread replies given earlier reach the agent too.
  expect(analysisPrompts()[1]).toContain("Keep it in plain ES modules please");

  const second = await waitFor(
    "the second analysis question",
    () =>
      thread()
        .filter((m) => hasButton(m, "Revise"))
        .at(0),
    60_000,
  );
  expect(second.ts > q.ts).toBe(true);
  const text = threadText(thread());
  expect(text).toContain(`<@${REQUESTER}> asked for a revision:\n>${FEEDBACK}`);
  expect(text).toContain("Running Analysis again (revision 2).");
  expect(text).toContain("# Analysis (revision 2)");
  const mem = await h.db.pool.query(
    "select phase, content, author from memories where content = $1",
    [FEEDBACK],
  );
  expect(mem.rows).toEqual([{ phase: "analysis", content: FEEDBACK, author: REQUESTER }]);
}, 180_000);

test("a second submission of the same modal is explained privately and re-runs nothing", async () => {
  const modal = h.slack.views.find((v) => v.kind === "modal")!;
  await h.submitModal(modal.id, "and again");
  const e = await waitFor("the explanation", () =>
    h.slack.ephemerals.find((x) => x.via === "chat.postEphemeral"),
  );
  expect(e).toMatchObject({ channel: CHANNEL, user: REQUESTER });
  expect(e.text).toContain("already decided");
  await h.service.notifier.idle();
  expect(analysisPrompts()).toHaveLength(2);
}, 180_000);
