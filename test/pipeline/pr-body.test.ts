import { describe, expect, it } from "vitest";
import {
  MAX_BODY_CHARS,
  type PullRequestBodyInput,
  renderPullRequestBody,
  renderPullRequestTitle,
} from "../../src/pipeline/pr/body.ts";
import { makeRedactor, REDACTED } from "../../src/redact.ts";

const GH_TOKEN = `ghp_${"A1b2C3d4E5f6".repeat(3)}`;
const API_KEY = "sk-live-known-config-secret-value";
const redact = makeRedactor([API_KEY]);

function input(over: Partial<PullRequestBodyInput> = {}): PullRequestBodyInput {
  return {
    feature: "Add a dark mode toggle to the settings page",
    requester: "U024BE7LH",
    runId: "run_42",
    analysisSummary: "The settings page is rendered by src/settings.tsx.",
    approach: {
      name: "CSS variables",
      summary: "Switch colours through CSS custom properties.",
      steps: ["Define the palette", "Add the toggle", "Persist the choice"],
    },
    conditions: [
      { text: "Respect prefers-color-scheme", addressedBy: "media query in theme.css" },
      { text: "Keep contrast AA" },
    ],
    gates: [
      { gate: "test", status: "passed", output: "PASSING-OUTPUT-MARKER 120 tests" },
      { gate: "lint", status: "failed", output: "src/theme.css:3 unknown property" },
    ],
    totalCoderAttempts: 7,
    costUsd: 3.456,
    tokens: 1234567,
    filesChanged: [
      { path: "src/theme.css", changeType: "added" },
      { path: "src/settings.tsx", changeType: "modified" },
    ],
    ...over,
  };
}

describe("renderPullRequestBody", () => {
  const body = renderPullRequestBody(input(), redact);

  it("has every section in order", () => {
    const headings = [...body.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual([
      "Request",
      "Analysis",
      "Approach: CSS variables",
      "Review conditions",
      "Gates",
      "Files changed",
      "Attempts and cost",
    ]);
    expect(body).toContain("> Add a dark mode toggle to the settings page");
    expect(body).toContain("Requested by U024BE7LH · run `run_42`");
    expect(body).toContain("src/settings.tsx.");
    expect(body).toContain("1. Define the palette\n2. Add the toggle\n3. Persist the choice");
  });

  it("says how each review condition was addressed", () => {
    expect(body).toContain(
      "- [x] Respect prefers-color-scheme\n  - Addressed by: media query in theme.css",
    );
    expect(body).toContain("- [ ] Keep contrast AA\n  - Not addressed.");
  });

  it("tabulates gates, hiding passing output and folding failing output", () => {
    expect(body).toContain("| test | ✅ passed |");
    expect(body).toContain("| lint | ❌ failed |");
    expect(body).not.toContain("PASSING-OUTPUT-MARKER");
    expect(body).toMatch(
      /<details><summary>❌ lint output<\/summary>\n\n```text\nsrc\/theme.css:3 unknown property\n```\n\n<\/details>/,
    );
  });

  it("lists files and the attempts, tokens and cost", () => {
    expect(body).toContain("- `src/theme.css` (added)\n- `src/settings.tsx` (modified)");
    expect(body).toContain("- Coder attempts: 7\n- Tokens: 1,234,567\n- Cost: $3.46");
  });

  it("redacts token shapes and known secret values wherever they appear", () => {
    const leaky = renderPullRequestBody(
      input({
        feature: `Use ${GH_TOKEN} to call the API`,
        gates: [{ gate: "test", status: "failed", output: `auth failed for ${API_KEY}` }],
      }),
      redact,
    );
    expect(leaky).not.toContain(GH_TOKEN);
    expect(leaky).not.toContain("ghp_");
    expect(leaky).not.toContain(API_KEY);
    expect(leaky).toContain(`> Use ${REDACTED} to call the API`);
    expect(leaky).toContain(`auth failed for ${REDACTED}`);
  });

  it("stays under the cap, cutting long parts with a marker and keeping every section", () => {
    const huge = "x".repeat(200_000);
    const long = renderPullRequestBody(
      input({
        feature: `${huge} ${GH_TOKEN}`,
        analysisSummary: huge,
        approach: { name: "n", summary: huge, steps: Array(500).fill(huge.slice(0, 2000)) },
        conditions: Array(300).fill({ text: huge.slice(0, 3000), addressedBy: huge }),
        // The token sits across where a naive cut of the log's tail would fall.
        gates: Array.from({ length: 40 }, (_, i) => ({
          gate: `gate-${i}`,
          status: "failed" as const,
          output: `${huge.slice(0, 1990)} ${GH_TOKEN} ${huge}`,
        })),
        filesChanged: Array.from({ length: 5000 }, (_, i) => ({
          path: `src/${"deep/".repeat(20)}file-${i}.ts`,
          changeType: "modified",
        })),
      }),
      redact,
    );
    expect(long.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(long).toMatch(/more characters cut/);
    expect(long).toMatch(/more failing gates not shown/);
    expect(long).toMatch(/more files not shown/);
    expect(long).toContain("## Attempts and cost");
    expect(long).not.toContain("ghp_");
    expect(long).toContain("| gate-39 | ❌ failed |");
  });

  it("keeps a fence that gate output cannot close", () => {
    const tricky = renderPullRequestBody(
      input({ gates: [{ gate: "e2e", status: "failed", output: "```\n## Injected heading" }] }),
      redact,
    );
    expect(tricky).toContain("````text\n```\n## Injected heading\n````");
    expect([...tricky.matchAll(/^## Injected/gm)]).toHaveLength(1);
  });
});

describe("renderPullRequestTitle", () => {
  it("uses the first line, capitalised, without trailing punctuation", () => {
    expect(renderPullRequestTitle("  add a dark mode toggle.\nMore detail here")).toBe(
      "Add a dark mode toggle",
    );
  });

  it("cuts at a word to at most 72 characters", () => {
    const title = renderPullRequestTitle(
      "make the exporter stream rows instead of buffering the whole table in memory first",
    );
    expect(title.length).toBeLessThanOrEqual(72);
    expect(title).toBe("Make the exporter stream rows instead of buffering the whole table in…");
  });

  it("redacts tokens and never comes back empty", () => {
    expect(renderPullRequestTitle(`rotate ${GH_TOKEN} now`)).toBe(`Rotate ${REDACTED} now`);
    expect(renderPullRequestTitle(" \n ")).toBe("Paul: requested change");
  });
});
