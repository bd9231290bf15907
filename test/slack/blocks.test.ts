import { expect, test } from "vitest";
import { paginate, sections } from "../../src/slack/blocks.ts";
import { checklistText, foldEvents } from "../../src/slack/checklist.ts";
import { createCoalescer } from "../../src/slack/coalesce.ts";
import { parseButtonValue } from "../../src/slack/cta-blocks.ts";
import { parseCommand, parseRepoName } from "../../src/slack/parse.ts";
import { rootMessage } from "../../src/slack/root.ts";
import { esc, splitMrkdwn } from "../../src/slack/text.ts";
import { validateBlocks } from "../support/fake-slack-rules.ts";

const joined = (parts: string[]) => parts.join("").replace(/\s+/g, "");

test("long mrkdwn is split under 3000 characters without losing or breaking anything", () => {
  const text = esc(`${"word & <tag> ".repeat(900)}end`);
  const parts = splitMrkdwn(text);
  expect(parts.length).toBeGreaterThan(3);
  for (const p of parts) {
    expect(p.length).toBeLessThanOrEqual(3000);
    // No cut inside an entity.
    expect(p).not.toMatch(/&[a-z]*$/);
    expect(p).not.toMatch(/^[a-z]*;/);
  }
  expect(joined(parts)).toBe(text.replace(/\s+/g, ""));
});

test("a line with no spaces is cut hard, a link is never cut, a code fence is closed and reopened", () => {
  const hard = splitMrkdwn("x".repeat(7000));
  expect(hard.every((p) => p.length <= 3000)).toBe(true);
  expect(hard.join("")).toBe("x".repeat(7000));

  const link = `<https://example.com/${"a".repeat(80)}|label>`;
  const withLinks = splitMrkdwn(`${"y".repeat(2950)}${link}${"z".repeat(100)}`);
  expect(withLinks.some((p) => p.includes(link))).toBe(true);

  const code = `\`\`\`\n${"console.log(1);\n".repeat(400)}\`\`\``;
  const fenced = splitMrkdwn(code);
  expect(fenced.length).toBeGreaterThan(1);
  for (const p of fenced) expect(p.split("```").length - 1).toBe(2);

  const emoji = splitMrkdwn("😀".repeat(2000));
  for (const p of emoji) expect(p).toBe([...p].join(""));
  expect(emoji.join("")).toBe("😀".repeat(2000));
});

test("paginate keeps every message within 50 blocks and marks the continuations", () => {
  const blocks = sections(
    "line\n"
      .repeat(1)
      .concat(Array.from({ length: 130 }, (_, i) => `${"p".repeat(2900)} ${i}`).join("\n")),
  );
  const pages = paginate(blocks, "Title");
  expect(pages.length).toBe(3);
  for (const p of pages) expect(validateBlocks(p.blocks, "message")).toEqual([]);
  expect(pages[2]!.text).toBe("Title (part 3 of 3)");
  expect(pages.flatMap((p) => p.blocks).filter((b) => b.type === "section")).toHaveLength(
    blocks.length,
  );
});

test("the checklist follows the run: revisions, a failed review's new choice, and the end", () => {
  const ev = (kind: string, data: Record<string, unknown>) => ({ kind, data });
  const events = [
    ev("run_created", {}),
    ev("phase_started", { phase: "analysis", revision: 0 }),
    ev("cta_created", { kind: "approval" }),
  ];
  expect(checklistText(foldEvents(events))).toMatch(
    /^:raised_hand: Analysis — _waiting for a decision/,
  );
  events.push(ev("cta_resolved", { action: "revise" }));
  expect(checklistText(foldEvents(events))).toMatch(/^:hourglass: Analysis — _queued_/);
  events.push(
    ev("phase_started", { phase: "analysis", revision: 1 }),
    ev("cta_created", { kind: "approval" }),
    ev("cta_resolved", { action: "approve" }),
    ev("phase_started", { phase: "approaches", revision: 0 }),
    ev("cta_created", { kind: "choice" }),
    ev("cta_resolved", { action: "choose" }),
    ev("phase_started", { phase: "judging", revision: 0 }),
    ev("cta_created", { kind: "judging_failed" }),
    ev("cta_resolved", { action: "choose_another" }),
    ev("cta_created", { kind: "choice" }),
  );
  const lines = checklistText(foldEvents(events)).split("\n");
  expect(lines[0]).toBe(":white_check_mark: Analysis");
  expect(lines[1]).toMatch(/^:raised_hand: Approaches/);
  expect(lines[2]).toBe(":white_large_square: Judging");
  events.push(ev("run_finished", { status: "cancelled", message: "Cancelled by U0REQUESTER." }));
  expect(checklistText(foldEvents(events)).split("\n")[1]).toBe(
    ":no_entry_sign: Approaches — _cancelled_",
  );
});

test("the checklist shows the wave table with each task's attempt and gate", () => {
  const c = foldEvents([
    { kind: "phase_started", data: { phase: "implementation", revision: 0 } },
    {
      kind: "tasks",
      data: {
        change: "plan",
        line: "Wave 1: T1, T2 (parallel) → Wave 2: T3",
        waves: [
          {
            wave: 1,
            tasks: [
              {
                key: "T1",
                title: "Module",
                status: "in_progress",
                attempt: 2,
                maxAttempts: 5,
                note: null,
              },
              {
                key: "T2",
                title: "Docs",
                status: "merged",
                attempt: null,
                maxAttempts: null,
                note: null,
              },
            ],
          },
          {
            wave: 2,
            tasks: [
              {
                key: "T3",
                title: "Wire up",
                status: "pending",
                attempt: null,
                maxAttempts: null,
                note: null,
              },
            ],
          },
        ],
      },
    },
    { kind: "progress", data: { phase: "implementation", message: "T1: gate test running" } },
  ]);
  const text = checklistText(c);
  expect(text).toContain("Wave 1: T1, T2 (parallel) → Wave 2: T3");
  expect(text).toContain("*T1* Module — _in progress · attempt 2 of 5 · gate test running_");
  expect(text).toContain(":white_check_mark: *T2* Docs — _merged_");
  expect(text).toContain("*T3* Wire up — _pending_");
});

test("updates of one key are coalesced: at most one per interval, the last one wins", async () => {
  const seen: number[] = [];
  const c = createCoalescer(200, (e) => {
    throw e;
  });
  for (let i = 1; i <= 50; i++) {
    c.schedule("root", async () => {
      seen.push(i);
    });
    await new Promise((r) => setTimeout(r, 5));
  }
  await c.idle();
  expect(seen[0]).toBe(1);
  expect(seen.at(-1)).toBe(50);
  expect(seen.length).toBeLessThanOrEqual(4);
  c.stop();
});

test("command text parsing: Paul's flags only, quotes, repos as names or links", () => {
  expect(parseCommand('build add a --json flag to "export" --repo acme/app --base dev')).toEqual({
    name: "build",
    feature: "add a --json flag to export",
    repo: "acme/app",
    base: "dev",
  });
  expect(parseCommand("build “rate-limit login” --repo=acme/app")).toMatchObject({
    feature: "rate-limit login",
    repo: "acme/app",
  });
  expect(parseRepoName("<https://github.com/acme/app.git|acme/app>", "https://github.com")).toEqual(
    { owner: "acme", name: "app" },
  );
  expect(() => parseRepoName("acme", "https://github.com")).toThrow(/not a GitHub repository/);
  expect(parseButtonValue('{"cta":"12","action":"choose","approach":1}')).toEqual({
    cta: "12",
    action: "choose",
    approach: 1,
  });
  expect(parseButtonValue("not json")).toBeUndefined();
});

test("the root's fallback text escapes the feature: no @channel, no mention, no stray markup", () => {
  const feature = "<!channel> tell <@U0BOSS> that 1 < 2 & 3 > 2";
  const m = rootMessage(
    {
      id: "r-abc123",
      feature,
      repo_spec: "acme/app",
      base_branch: "main",
      requester: "U0REQUESTER",
      pr_url: null,
      pr_number: null,
    },
    foldEvents([]),
    0,
    (s) => s,
  );
  expect(m.text).toBe(
    "Paul run r-abc123: &lt;!channel&gt; tell &lt;@U0BOSS&gt; that 1 &lt; 2 &amp; 3 &gt; 2",
  );
  expect(m.text).not.toMatch(/<[!@]/);
  // The header is plain_text, which Slack never parses for mentions: shown as typed.
  expect(m.blocks[0]).toMatchObject({ type: "header", text: { type: "plain_text" } });
});
