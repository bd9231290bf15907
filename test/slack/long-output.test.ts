import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunWithThread } from "../../src/db/slack.ts";
import { roleOf, submit } from "../../src/demo/model-server.ts";
import { demoModel } from "../../src/demo/script.ts";
import { CHANNEL, type Harness, REPO, RUNS, startHarness, waitFor } from "./harness.ts";
import { renderMessage, threadText } from "./render-thread.ts";

/** An analysis far over every Slack limit: a 9,000-character summary and 1,200 files. */
const SENTENCE =
  "The greeting module & its <tests> are tiny, yet this summary keeps going on purpose. ";
const SUMMARY = `${SENTENCE.repeat(105)}THE-END-OF-THE-SUMMARY.`;
const FILES = Array.from({ length: 1200 }, (_, i) => ({
  path: `src/generated/module-${i}.js`,
  why: `file number ${i} matters because ${"it really does ".repeat(5)}`,
}));

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    worker: true,
    model: (req) =>
      roleOf(req) === "analysis"
        ? {
            content: [
              submit({
                summary: SUMMARY,
                relevantFiles: FILES,
                constraints: ["ES modules"],
                risks: ["none"],
                openQuestions: ["Is 1,200 files too many?"],
              }),
            ],
          }
        : demoModel(req),
  });
}, 180_000);
afterAll(async () => h?.close());

test("a very long analysis is posted within Slack's limits, split across blocks and messages, with nothing cut", async () => {
  await h.command(`build Add a farewell(name) function --repo ${REPO}`);
  const run = await waitFor(
    "the run",
    async () => (await h.db.pool.query<RunWithThread>(RUNS)).rows[0],
  );
  const thread = () => h.slack.thread(CHANNEL, run.thread_ts!);
  await waitFor(
    "the analysis question",
    () => thread().find((m) => renderMessage(m).includes("[Approve]")),
    60_000,
  );

  // Slack (the fake enforces its rules) accepted every call.
  expect(h.slack.calls.filter((c) => c.response.ok !== true)).toEqual([]);
  const parts = thread().filter((m) => m.text.startsWith("Analysis"));
  expect(parts.length).toBeGreaterThan(1);
  for (const m of parts) {
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    for (const b of m.blocks)
      if (b.type === "section")
        expect((b.text as { text: string }).text.length).toBeLessThanOrEqual(3000);
  }
  expect(renderMessage(parts[1]!)).toContain(`part 2 of ${parts.length}`);
  // Summary first: the first message opens with the header and the summary's start.
  expect(renderMessage(parts[0]!).split("\n")[1]).toContain(
    "The greeting module &amp; its &lt;tests&gt; are tiny",
  );

  const all = threadText(thread());
  const words = all.replace(/\s+/g, " ");
  expect(words).toContain("THE-END-OF-THE-SUMMARY.");
  // Every sentence of the summary arrived: split at spaces, never inside a word or an entity.
  expect(words.split("keeps going on purpose.").length - 1).toBe(105);
  for (const f of FILES) expect(all).toContain(`\`${f.path}\``);
  expect(all).toContain("Is 1,200 files too many?");
}, 180_000);
