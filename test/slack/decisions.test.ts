import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunWithThread } from "../../src/db/slack.ts";
import { ANALYSIS as ANALYSIS_OUT } from "../../src/pipeline/analysis/schema.ts";
import type { Approaches } from "../../src/pipeline/approaches/schema.ts";
import { APPROACHES as APPROACHES_OUT } from "../../src/pipeline/approaches/schema.ts";
import { JUDGING, type Judging, type Lens } from "../../src/pipeline/judging/schema.ts";
import { completePhase } from "../../src/pipeline/run.ts";
import { choiceOptions, OPTIONS } from "../../src/pipeline/transitions.ts";
import type { FakeMessage } from "../support/fake-slack.ts";
import { CHANNEL, type Harness, REPO, RUNS, startHarness, waitFor } from "./harness.ts";
import { renderMessage } from "./render-thread.ts";

/**
 * Who may decide, and exactly-once decisions, with no worker running: phase
 * outputs are stored directly, so every job a click enqueues stays visible.
 */
let h: Harness;
let run: RunWithThread;
beforeAll(async () => {
  h = await startHarness({ approvers: "S0LEADS", slack: { usergroups: { S0LEADS: ["U0LEAD"] } } });
  await h.command(`build add a farewell function --repo ${REPO}`);
  run = await waitFor("the run", async () => (await h.db.pool.query<RunWithThread>(RUNS)).rows[0]);
});
afterAll(async () => h?.close());

const ANALYSIS = {
  summary: "Small library.",
  relevantFiles: [],
  constraints: [],
  risks: [],
  openQuestions: [],
};
const APPROACHES: Approaches = {
  approaches: [
    {
      name: "Separate module",
      summary: "A new file.",
      steps: ["write it"],
      files: ["src/farewell.js"],
      risks: [],
      effort: "XS",
    },
    {
      name: "Extend greet.js",
      summary: "Next to greet.",
      steps: ["add it"],
      files: ["src/greet.js"],
      risks: [],
      effort: "XS",
    },
  ],
};
const judge = (lens: Lens, verdict: Judging["verdict"]) => ({
  lens,
  verdict,
  scores: { correctness: 2, fit: 2, risk: 2, testability: 2 },
  conditions: [],
  rationale: "Too risky.",
});

const jobs = async (task: string) =>
  Number(
    (
      await h.db.pool.query<{ n: string }>(
        "select count(*)::text as n from graphile_worker.jobs where task_identifier = $1",
        [task],
      )
    ).rows[0]?.n,
  );
const thread = () => h.slack.thread(CHANNEL, run.thread_ts!);
const hasButtons = (m: FakeMessage) => m.blocks.some((b) => b.type === "actions");
const questionWith = (label: string) =>
  waitFor(`a question with "${label}"`, () =>
    thread().find((m) => hasButtons(m) && renderMessage(m).includes(`[${label}]`)),
  );
const whispersTo = (text: string) => h.slack.ephemerals.filter((e) => e.text.includes(text));

test("a click by someone who may not decide is refused privately, and nothing changes", async () => {
  await completePhase(h.db.pool, run, ANALYSIS_OUT, 0, ANALYSIS, {
    kind: "approval",
    prompt: "Approve to proceed to approach generation?",
    options: OPTIONS.approval,
  });
  const q = await questionWith("Approve");
  const before = JSON.stringify(q.blocks);
  const res = await h.click(q, "Approve", "U0BYSTANDER");
  expect(res.status).toBe(200);
  const refusal = await waitFor("the refusal", () => whispersTo("Only <@U0REQUESTER>")[0]);
  expect(refusal.responseType).toBe("ephemeral");
  expect(refusal.text).toContain("nothing changed");
  expect((await h.db.pool.query("select status from ctas")).rows[0]?.status).toBe("pending");
  expect(await jobs("approaches")).toBe(0);
  await h.service.notifier.idle();
  expect(JSON.stringify(thread().find((m) => m.ts === q.ts)!.blocks)).toBe(before);
});

test("20 concurrent clicks on one button enqueue one job; the other 19 are told it was already decided", async () => {
  const q = structuredClone(await questionWith("Approve"));
  const responses = await Promise.all(Array.from({ length: 20 }, () => h.click(q, "Approve")));
  expect(responses.every((r) => r.status === 200)).toBe(true);
  await waitFor("19 stale answers", () => whispersTo("already decided").length === 19);
  expect(whispersTo("already decided")[0]!.text).toContain('<@U0REQUESTER> chose "approve"');
  expect(await jobs("approaches")).toBe(1);
  const resolved = await h.db.pool.query("select 1 from run_events where kind = 'cta_resolved'");
  expect(resolved.rowCount).toBe(1);
  const memories = await h.db.pool.query("select content from memories where kind = 'decision'");
  expect(memories.rows).toEqual([{ content: "U0REQUESTER approved the analysis result." }]);
  await waitFor(
    "the question to show the decision",
    () => !hasButtons(thread().find((m) => m.ts === q.ts)!),
  );
  expect(renderMessage(thread().find((m) => m.ts === q.ts)!)).toContain(
    "<@U0REQUESTER> chose *Approve*.",
  );

  // A late click on the decided question changes nothing either.
  await h.click(q, "Approve");
  await waitFor("a 20th stale answer", () => whispersTo("already decided").length === 20);
  expect(await jobs("approaches")).toBe(1);
});

test("a member of an approver user group may decide for someone else's run", async () => {
  await completePhase(h.db.pool, run, APPROACHES_OUT, 0, APPROACHES, {
    kind: "choice",
    prompt: "Which approach should I pursue?",
    options: choiceOptions(APPROACHES.approaches.map((a) => a.name)),
  });
  const q = await questionWith("2. Extend greet.js");
  expect(renderMessage(q)).toContain("*1. Separate module* · effort XS\nA new file.");
  await h.click(q, "2. Extend greet.js", "U0LEAD");
  await waitFor("the judging job", async () => (await jobs("judging")) === 1);
  expect(h.slack.callsTo("usergroups.users.list")[0]?.args.usergroup).toBe("S0LEADS");
  const chosen = await h.db.pool.query(
    "select decision, decided_by from ctas where kind = 'choice'",
  );
  expect(chosen.rows[0]).toEqual({
    decision: { action: "choose", approach: 1 },
    decided_by: "U0LEAD",
  });
});

test("a failed review offers another approach, override or cancel; a click after the run is cancelled is explained", async () => {
  const judging: Judging = {
    approachIndex: 1,
    approachName: "Extend greet.js",
    verdict: "fail",
    conditions: [],
    judges: [judge("correctness", "fail"), judge("risk", "pass")],
  };
  await completePhase(h.db.pool, run, JUDGING, 0, judging, {
    kind: "judging_failed",
    prompt: "The panel failed this approach. What now?",
    options: OPTIONS.judging_failed,
  });
  const failed = await questionWith("Override and implement");
  expect(renderMessage(failed)).toContain(
    "[Choose another approach] [Override and implement] [Cancel]",
  );
  expect(renderMessage(thread().find((m) => renderMessage(m).startsWith("# Judging"))!)).toContain(
    ":x: *FAIL* for “Extend greet.js”",
  );

  await h.click(failed, "Choose another approach");
  // What the person still has on screen after the run is cancelled.
  const again = structuredClone(
    await waitFor("the choice asked again", () =>
      thread().find(
        (m) =>
          m.ts > failed.ts &&
          hasButtons(m) &&
          renderMessage(m).includes("Which approach should I pursue?"),
      ),
    ),
  );
  await h.click(again, "Cancel");
  await waitFor(
    "the run to be cancelled",
    async () => (await h.db.pool.query("select status from runs")).rows[0]?.status === "cancelled",
  );
  const last = await waitFor("the final message", () => {
    const m = thread().at(-1)!;
    return renderMessage(m).includes("*Cancelled*") ? m : undefined;
  });
  expect(renderMessage(last)).toContain("Cancelled by <@U0REQUESTER>.");
  await h.service.notifier.idle();
  expect(thread().filter(hasButtons)).toEqual([]);

  // The stale button (from the copy the person still has on screen) is explained, not acted on.
  await h.click(again, "1. Separate module");
  const stale = await waitFor(
    "the stale answer",
    () => whispersTo('already decided: <@U0REQUESTER> chose "cancel"')[0],
  );
  expect(stale.responseType).toBe("ephemeral");
  // Cancelling dropped the run's queued jobs; the stale click queued none.
  expect((await h.db.pool.query("select 1 from graphile_worker.jobs")).rowCount).toBe(0);
  expect((await h.db.pool.query("select status from runs")).rows[0]?.status).toBe("cancelled");
});
