import { expect, test } from "vitest";
import { SANDBOX_OFF_NOTICE } from "../../src/pipeline/run.ts";
import { foldEvents } from "../../src/slack/checklist.ts";
import { rootMessage } from "../../src/slack/root.ts";

const run = {
  id: "r-abc",
  feature: "add x",
  repo_spec: "acme/greetings",
  base_branch: "main",
  requester: "U1",
  pr_url: null,
  pr_number: null,
};
const identity = (s: string) => s;

test("a run started with PAUL_SANDBOX=off says so in its thread's header, for good", () => {
  const events = [
    { kind: "run_created", data: { feature: "add x" } },
    { kind: "progress", data: { phase: "analysis", message: SANDBOX_OFF_NOTICE } },
    { kind: "phase_started", data: { phase: "approaches" } },
  ];
  const off = JSON.stringify(rootMessage(run, foldEvents(events), 0, identity).blocks);
  expect(off).toContain("Sandbox off (PAUL_SANDBOX=off)");
  const on = JSON.stringify(
    rootMessage(run, foldEvents([events[0]!, events[2]!]), 0, identity).blocks,
  );
  expect(on).not.toContain("Sandbox off");
});
