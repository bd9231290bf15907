import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { costOf, readOnlyTools, runAgent } from "../../src/agents/index.ts";
import { submit, text, toolUse, turnIndex } from "../support/fake-anthropic.ts";
import { base, MODEL, recordingSink, serve, tempDir } from "./helpers.ts";

describe("runAgent usage and budget", () => {
  it("records usage for every call, with cost and cache tokens", async () => {
    const root = await tempDir();
    await writeFile(join(root, "big.txt"), "a line of a large file\n".repeat(400));
    const server = await serve((req) =>
      turnIndex(req) < 2
        ? { content: [toolUse("view_file", { path: "big.txt" })] }
        : { content: [submit({ summary: "s", files: ["x"] })] },
    );
    const { opts, usage } = base(server, readOnlyTools(root));
    const r = await runAgent({ ...opts, context: "A long and stable context. ".repeat(200) });
    expect(r.ok).toBe(true);
    expect(usage.calls()).toBe(3);
    expect(usage.records).toHaveLength(3);
    const [a, b, c] = usage.records;
    expect(a).toMatchObject({ model: MODEL, role: "analysis" });
    expect(a?.cacheWriteTokens).toBeGreaterThan(1000);
    expect(a?.cacheReadTokens).toBe(0);
    expect(b?.cacheReadTokens).toBeGreaterThan(1000);
    for (const u of usage.records) {
      expect(u.inputTokens).toBeGreaterThan(0);
      expect(u.outputTokens).toBeGreaterThan(0);
      expect(u.latencyMs).toBeGreaterThanOrEqual(0);
      expect(u.costUsd).toBeGreaterThan(0);
      expect(u.costUsd).toBe(costOf(MODEL, u));
    }
    // The rolling breakpoint: the third call reads what the second one wrote, file view included.
    expect(c!.cacheReadTokens).toBeGreaterThan(b!.cacheReadTokens + 2000);
    expect(c!.inputTokens).toBeLessThan(200);
    // Reading from the cache is what makes the third call cheap.
    const all = c!.inputTokens + c!.cacheReadTokens + c!.cacheWriteTokens;
    const uncached = costOf(MODEL, {
      ...c!,
      inputTokens: all,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    expect(c!.costUsd).toBeLessThan(uncached);
  });

  it("stops with budget_exhausted when the usage sink says the budget is spent", async () => {
    const server = await serve(() => ({ content: [text("more")] }));
    const usage = recordingSink({ budgetCalls: 1 });
    const r = await runAgent({ ...base(server).opts, usage: usage.sink });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("budget_exhausted");
    expect(r.turns).toBe(1);
    expect(server.requests).toHaveLength(1);
    expect(usage.records).toHaveLength(1);
  });
});

describe("pricing", () => {
  it("prices known models, families and unknown ids", () => {
    const million = {
      inputTokens: 1e6,
      outputTokens: 1e6,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    };
    expect(costOf("claude-haiku-5-5", million)).toBe(6);
    expect(costOf("claude-sonnet-5-5", million)).toBe(18);
    expect(costOf("claude-opus-4-8", million)).toBe(30);
    expect(costOf("claude-mythos-5-2", million)).toBe(30);
    expect(costOf("claude-haiku-9-0", million)).toBe(6);
    expect(costOf("some-gateway-model", million)).toBe(18);
    const cache = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 1e6, cacheWriteTokens: 1e6 };
    expect(costOf("claude-sonnet-5", cache)).toBeCloseTo(3 * 1.25 + 3 * 0.1, 10);
  });
});

describe("runAgent cancellation and script failures", () => {
  it("returns cancelled when the signal is aborted", async () => {
    const server = await serve(() => ({ content: [text("hi")] }));
    const ac = new AbortController();
    ac.abort();
    const r = await runAgent({ ...base(server).opts, signal: ac.signal });
    expect(!r.ok && r.error.code).toBe("cancelled");
    expect(server.requests).toHaveLength(0);
  });

  it("does not retry a recorded model whose script throws", async () => {
    let calls = 0;
    const server = await serve(() => {
      calls++;
      throw new Error("no answer scripted for this turn");
    });
    const r = await runAgent(base(server).opts);
    expect(!r.ok && r.error.code).toBe("model_unavailable");
    expect(!r.ok && r.error.message).toContain("no answer scripted for this turn");
    expect(calls).toBe(1);
  });
});
