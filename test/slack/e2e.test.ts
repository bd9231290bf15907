import { writeFile } from "node:fs/promises";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunWithThread } from "../../src/db/slack.ts";
import type { FakeMessage } from "../support/fake-slack.ts";
import { CHANNEL, type Harness, REPO, REQUESTER, RUNS, startHarness, waitFor } from "./harness.ts";
import { renderMessage, renderThread, threadText } from "./render-thread.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: true });
});
afterAll(async () => {
  if (h && process.env.PAUL_SLACK_THREAD_OUT) {
    const run = (await h.db.pool.query<RunWithThread>(RUNS)).rows[0];
    const t = run?.thread_ts ? h.slack.thread(CHANNEL, run.thread_ts) : [];
    const root = t[0];
    const mid = root?.history
      .map((v) => renderMessage({ ...root, ...v }))
      .find((v) => v.includes("attempt 2 of"));
    const calls = h.slack.calls
      .filter((c) => c.method !== "auth.test")
      .map((c) => {
        const where = c.args.thread_ts ? " (reply)" : c.args.ts ? ` ts=${String(c.args.ts)}` : "";
        return `${c.method}${where} → ${c.status} ${c.response.ok === false ? String(c.response.error) : "ok"}`;
      });
    const out = [
      renderThread(t),
      "── the root while implementing ──",
      mid ?? "",
      "── Web API calls, in order ──",
      calls.join("\n"),
    ];
    await writeFile(process.env.PAUL_SLACK_THREAD_OUT, `${out.join("\n\n")}\n`);
  }
  await h?.close();
});

const FEATURE = "Add a farewell(name) function that says goodbye, with tests";
const hasButton = (m: FakeMessage, label: string) =>
  m.blocks.some(
    (b) =>
      b.type === "actions" &&
      (b.elements as { text: { text: string } }[]).some((e) => e.text.text === label),
  );

async function run(): Promise<RunWithThread> {
  return (await h.db.pool.query<RunWithThread>(RUNS)).rows[0]!;
}
const thread = async () => {
  const r = await run();
  return h.slack.thread(CHANNEL, r.thread_ts!);
};
/** The open question: the thread's message that has this button. */
const question = (label: string, timeoutMs = 60_000) =>
  waitFor(
    `a question with "${label}"`,
    async () => (await thread()).find((m) => hasButton(m, label)),
    timeoutMs,
  );

test("/paul build → buttons → a PR on GitHub, with the thread showing every step", async () => {
  const res = await h.command(`build ${FEATURE} --repo ${REPO}`);
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("");

  // The root message: header with feature, repo, requester and run id, and the checklist.
  const r = await waitFor(
    "the run",
    async () => (await h.db.pool.query<RunWithThread>(RUNS)).rows[0],
  );
  const root = h.slack.thread(CHANNEL, r.thread_ts!)[0]!;
  const rootText = renderMessage(root);
  for (const s of [FEATURE, REPO, `<@${REQUESTER}>`, r.id, "Analysis", "Pull request"])
    expect(rootText).toContain(s);

  // Analysis: its output, summary first, then the approval question.
  const approveAnalysis = await question("Approve");
  let t = await thread();
  const analysis = t.find((m) => renderMessage(m).startsWith("# Analysis"))!;
  const lines = renderMessage(analysis).split("\n");
  expect(lines[1]).toContain("greetings is a tiny ES-module library");
  expect(renderMessage(analysis)).toContain("*Relevant files*");
  expect(renderMessage(approveAnalysis)).toContain("Approve to proceed to approach generation?");
  expect(hasButton(approveAnalysis, "Revise") && hasButton(approveAnalysis, "Cancel")).toBe(true);
  await waitFor("the checklist to wait on analysis", async () =>
    renderMessage((await thread())[0]!).includes("Analysis — _waiting for a decision"),
  );

  await h.click(approveAnalysis, "Approve");
  // The question loses its buttons and says who decided.
  await waitFor("the analysis question to show the decision", async () => {
    const m = (await thread()).find((x) => x.ts === approveAnalysis.ts)!;
    return !hasButton(m, "Approve") && renderMessage(m).includes(`<@${REQUESTER}> chose *Approve*`);
  });

  // Approaches: one button per approach with its summary above, plus Regenerate and Cancel.
  const choose = await question("1. Separate module");
  const chooseText = renderMessage(choose);
  expect(chooseText).toContain("Which approach should I pursue?");
  expect(chooseText).toContain("Add src/farewell.js exporting farewell(name)");
  expect(chooseText).toContain("[1. Separate module] [2. Extend greet.js] [Regenerate] [Cancel]");
  await h.click(choose, "1. Separate module");

  // Judging: the panel's verdict, then "Begin implementation?".
  const beginImpl = await waitFor("the judging approval", async () =>
    (await thread()).find(
      (m) => hasButton(m, "Approve") && renderMessage(m).includes("Begin implementation?"),
    ),
  );
  t = await thread();
  expect(threadText(t)).toContain("*PASS with conditions* for “Separate module”");
  expect(renderMessage(t.find((m) => m.ts === choose.ts)!)).toContain(
    "chose approach *1. Separate module*",
  );
  await h.click(beginImpl, "Approve");

  // Implementation: the wave table shows in the checklist (checked below, from the root's history).
  const createPr = await question("Create PR", 120_000);
  expect(renderMessage(createPr)).toContain("All gates pass. Create PR?");
  expect(threadText(await thread())).toMatch(/Branch `paul\/r-[a-z0-9]+-add-a-farewell/);
  await h.click(createPr, "Create PR");

  // The PR on the fake GitHub, and the thread's last message.
  const pr = await waitFor("the pull request", () => h.github.pulls[0], 60_000);
  expect(pr.base.ref).toBe("main");
  const done = await waitFor("the final message", async () => {
    const last = (await thread()).at(-1)!;
    return renderMessage(last).includes(":tada: *Done*") ? last : undefined;
  });
  const final = renderMessage(done);
  expect(final).toContain(`<${pr.html_url}|pull request #1>`);
  expect(final).toMatch(/:white_check_mark: test/);
  expect(final).toMatch(/:white_check_mark: lint/);
  expect(final).toContain("*Coder attempts*: 2");
  expect(final).toMatch(/\*Cost\*: \$0\.\d{4} \([\d,]+ tokens\)/);
  expect(final).toMatch(/\*Duration\*: \d+(m \d+)?s/);

  await h.service.notifier.idle();
  t = await thread();
  // Along the way the checklist showed the retry and the gates as they ran.
  const versions = t[0]!.history.map((v) => renderMessage({ ...t[0]!, ...v }));
  expect(
    versions.some((v) =>
      /Implementation — _running_\n\s+Wave 1: T1\n.*\*T1\* .*attempt 2 of 5/.test(v),
    ),
  ).toBe(true);
  expect(versions.some((v) => /\*T1\* .*gate (test|lint) (running|passed|failed)/.test(v))).toBe(
    true,
  );
  expect(renderMessage(t[0]!)).toContain(`:white_check_mark: done — <${pr.html_url}|PR #1>`);
  expect(renderMessage(t[0]!)).not.toContain(":hourglass");
  // No question is left with buttons, and the Web API never refused a call.
  expect(t.filter((m) => m.blocks.some((b) => b.type === "actions"))).toEqual([]);
  expect(h.slack.calls.filter((c) => c.response.ok !== true)).toEqual([]);
  // The root was updated in place, never reposted.
  expect(
    h.slack.callsTo("chat.postMessage").filter((c) => c.args.thread_ts === undefined),
  ).toHaveLength(1);
  expect((await run()).status).toBe("done");
}, 240_000);
