import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AgentTool } from "../../src/agents/index.ts";
import { readOnlyTools, runAgent } from "../../src/agents/index.ts";
import {
  lastToolResults,
  type MessagesRequest,
  submit,
  text,
  toolUse,
  turnIndex,
} from "../support/fake-anthropic.ts";
import { base, serve, tempDir } from "./helpers.ts";

describe("runAgent", () => {
  it("runs the tools the model asks for and returns its valid submission", async () => {
    const root = await tempDir();
    await mkdir(join(root, "src"));
    await writeFile(
      join(root, "src/math.ts"),
      "export const add = (a: number, b: number) => a + b;\n",
    );
    const seen: string[] = [];
    const server = await serve((req) => {
      if (turnIndex(req) === 0) {
        return {
          content: [
            text("Let me look."),
            toolUse("list_files", {}),
            toolUse("view_file", { path: "src/math.ts" }),
          ],
        };
      }
      for (const r of lastToolResults(req)) seen.push(`${r.name}:${r.content}`);
      return { content: [submit({ summary: "add() is in src/math.ts", files: ["src/math.ts"] })] };
    });
    const events: string[] = [];
    const { opts, usage } = base(server, readOnlyTools(root));
    const r = await runAgent({ ...opts, onEvent: (e) => events.push(e.kind) });

    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.output).toEqual({ summary: "add() is in src/math.ts", files: ["src/math.ts"] });
    expect(r.summary).toBe("add() is in src/math.ts");
    expect(r.turns).toBe(2);
    expect(seen[0]).toMatch(/^list_files:src\/\nsrc\/math\.ts/);
    expect(seen[1]).toContain("1\texport const add");
    expect(events).toEqual(["text", "tool", "tool", "tool"]);
    expect(usage.records).toHaveLength(2);
    // Every tool_use, submit_result included, is answered in the stored conversation.
    const last = r.messages[r.messages.length - 1];
    expect(last?.role).toBe("user");
    expect(JSON.stringify(last?.content)).toContain("Result accepted.");

    const first = server.requests[0] as MessagesRequest;
    expect(first.system).toBe(opts.system);
    const names = (first.tools ?? []).map((t) => ("name" in t ? t.name : t.type));
    expect(names).toEqual(["view_file", "list_files", "search", "run_readonly", "submit_result"]);
    const submitDef = first.tools?.at(-1) as {
      input_schema: Record<string, unknown>;
      cache_control?: unknown;
    };
    expect(submitDef.input_schema).not.toHaveProperty("$schema");
    expect(submitDef.input_schema).toMatchObject({
      type: "object",
      required: ["summary", "files"],
      properties: { files: { type: "array", minItems: 1 } },
    });
    expect(submitDef.cache_control).toEqual({ type: "ephemeral" });
    const firstUser = first.messages[0]?.content as { text: string; cache_control?: unknown }[];
    expect(firstUser[0]).toEqual({
      type: "text",
      text: opts.context,
      cache_control: { type: "ephemeral" },
    });
    expect(firstUser[1]).toEqual({ type: "text", text: opts.prompt });
    expect(first).not.toHaveProperty("temperature");
    // The rolling breakpoint sits on the newest block only.
    const second = server.requests[1] as MessagesRequest;
    const results = second.messages.at(-1)?.content as { cache_control?: unknown }[];
    expect(results.at(-1)?.cache_control).toEqual({ type: "ephemeral" });
    expect(results[0]?.cache_control).toBeUndefined();
  });

  it("sends an invalid submission back with the validation error and accepts the fix", async () => {
    let feedback = "";
    const server = await serve((req) => {
      if (turnIndex(req) === 0) return { content: [submit({ summary: "done", files: [] })] };
      const [r] = lastToolResults(req);
      feedback = r?.isError ? r.content : "";
      return { content: [submit({ summary: "done", files: ["a.ts"] })] };
    });
    const { opts } = base(server);
    const r = await runAgent(opts);
    expect(r.ok).toBe(true);
    expect(r.turns).toBe(2);
    expect(feedback).toContain("submit_result input is invalid");
    expect(feedback).toContain("files");
  });

  it("gives up with model_invalid_output after maxRepairs invalid submissions", async () => {
    const server = await serve(() => ({ content: [submit({ summary: 42 })] }));
    const { opts } = base(server);
    const r = await runAgent({ ...opts, maxRepairs: 2 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("model_invalid_output");
    expect(r.error.message).toMatch(/summary/);
    expect(r.error.message).toMatch(/files/);
    expect(server.requests).toHaveLength(3);
  });

  it("asks for submit_result when the model ends its turn without it", async () => {
    const server = await serve((req) =>
      turnIndex(req) === 0
        ? { content: [text("I think it is in a.ts.")] }
        : { content: [submit({ summary: "a.ts", files: ["a.ts"] })] },
    );
    const { opts } = base(server);
    const r = await runAgent(opts);
    expect(r.ok).toBe(true);
    const nudge = JSON.stringify(server.requests[1]?.messages.at(-1));
    expect(nudge).toContain("without calling submit_result");
  });

  it("counts turns without submit_result as repairs", async () => {
    const server = await serve(() => ({ content: [text("Still thinking.")] }));
    const { opts } = base(server);
    const r = await runAgent({ ...opts, maxRepairs: 1 });
    expect(!r.ok && r.error.code).toBe("model_invalid_output");
    expect(r.summary).toBe("Still thinking.");
    expect(server.requests).toHaveLength(2);
  });

  it("answers other tool calls made in the same turn as a valid submission", async () => {
    const root = await tempDir();
    const server = await serve(() => ({
      content: [toolUse("list_files", {}), submit({ summary: "s", files: ["x"] })],
    }));
    const { opts } = base(server, readOnlyTools(root));
    const r = await runAgent(opts);
    expect(r.ok).toBe(true);
    const answered = r.messages.at(-1)?.content as { type: string }[];
    expect(answered.map((b) => b.type)).toEqual(["tool_result", "tool_result"]);
  });

  it("turns a refusal into model_refused", async () => {
    const server = await serve(() => ({
      content: [text("I can't help with that.")],
      stop_reason: "refusal",
    }));
    const r = await runAgent(base(server).opts);
    expect(!r.ok && r.error.code).toBe("model_refused");
  });

  it("stops with agent_failed after maxTurns", async () => {
    const root = await tempDir();
    const server = await serve(() => ({ content: [toolUse("list_files", {})] }));
    const r = await runAgent({ ...base(server, readOnlyTools(root)).opts, maxTurns: 3 });
    expect(!r.ok && r.error.code).toBe("agent_failed");
    expect(r.turns).toBe(3);
    expect(server.requests).toHaveLength(3);
  });

  it("reports a throwing tool to the model as a failed call and carries on", async () => {
    const broken: AgentTool = {
      definition: { name: "flaky", input_schema: { type: "object" } },
      run: async () => {
        throw new Error("disk on fire");
      },
    };
    let reported = "";
    const server = await serve((req) => {
      if (turnIndex(req) === 0) return { content: [toolUse("flaky", {}), toolUse("nope", {})] };
      reported = lastToolResults(req)
        .map((r) => `${r.isError}:${r.content}`)
        .join("|");
      return { content: [submit({ summary: "s", files: ["x"] })] };
    });
    const r = await runAgent(base(server, [broken]).opts);
    expect(r.ok).toBe(true);
    expect(reported).toContain("true:Tool flaky failed: disk on fire");
    expect(reported).toContain('true:Unknown tool "nope"');
  });

  it("refuses a tool named like the structured-output tool", async () => {
    const server = await serve(() => ({ content: [] }));
    const clash: AgentTool = {
      definition: { name: "submit_result", input_schema: { type: "object" } },
      run: async () => ({ content: "" }),
    };
    await expect(runAgent(base(server, [clash]).opts)).rejects.toThrow(/reserved/);
  });
});
