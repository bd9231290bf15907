import { mkdir, readFile, realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { AgentTool } from "../../src/agents/index.ts";
import { coderTools, runAgent } from "../../src/agents/index.ts";
import { scrubbedEnv } from "../../src/workspace/exec.ts";
import { lastToolResults, submit, toolUse, turnIndex } from "../support/fake-anthropic.ts";
import { clientFor, MODEL, recordingSink, serve, tempDir } from "./helpers.ts";

const SECRETS = {
  ANTHROPIC_API_KEY: "sk-ant-api03-secret-value-0001",
  GITHUB_TOKEN: "ghp_secretsecretsecretsecret0002",
  SLACK_BOT_TOKEN: "xoxb-secret-value-0003",
  DATABASE_URL: "postgres://paul:secret-0004@db/paul",
};
const saved: Record<string, string | undefined> = {};
beforeEach(() => {
  for (const [k, v] of Object.entries(SECRETS)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

async function workspace() {
  const parent = await realpath(await tempDir());
  const root = join(parent, "repo");
  await mkdir(root);
  await writeFile(join(parent, "outside.txt"), "TOP SECRET OUTSIDE\n");
  const tools = coderTools({
    root,
    sandbox: { root, hide: [parent], expose: [] },
    env: scrubbedEnv(process.env),
    timeoutMs: 10_000,
  });
  return { parent, root, tools };
}

const Done = z.object({ summary: z.string() });

/** A scripted coder: runs `calls` one per turn, then submits; returns what each call answered. */
async function scriptedCoder(tools: AgentTool[], calls: { name: string; input: unknown }[]) {
  const answers: { content: string; isError: boolean }[] = [];
  const server = await serve((req) => {
    const [last] = lastToolResults(req);
    if (last) answers.push({ content: last.content, isError: last.isError });
    const next = calls[turnIndex(req)];
    return { content: [next ? toolUse(next.name, next.input) : submit({ summary: "done" })] };
  });
  const r = await runAgent({
    client: clientFor(server),
    model: MODEL,
    role: "coder",
    system: "[paul-role: coder]",
    context: "ctx",
    prompt: "do it",
    tools,
    output: Done,
    usage: recordingSink().sink,
  });
  expect(r.ok).toBe(true);
  return { answers, server };
}

describe("coder tools", () => {
  it("are the Anthropic-defined editor and bash tools", async () => {
    const { tools } = await workspace();
    expect(tools.map((t) => t.definition)).toEqual([
      { type: "text_editor_20250728", name: "str_replace_based_edit_tool" },
      { type: "bash_20250124", name: "bash" },
    ]);
  });

  it("bash sees no Anthropic, GitHub, Slack or database secret", async () => {
    const { tools } = await workspace();
    const { answers } = await scriptedCoder(tools, [{ name: "bash", input: { command: "env" } }]);
    const env = answers[0]?.content ?? "";
    expect(env).toMatch(/^PATH=/m);
    expect(env).toMatch(/\[exit code: 0\]$/);
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(env).not.toContain(name);
      expect(env).not.toContain(value);
    }
  });

  it("bash cannot read a file outside the workspace", async () => {
    const { parent, root, tools } = await workspace();
    // The file is there and readable to Paul itself; only the agent must not see it.
    expect(await readFile(join(parent, "outside.txt"), "utf8")).toContain("TOP SECRET");
    await writeFile(join(root, "inside.txt"), "visible\n");
    const { answers } = await scriptedCoder(tools, [
      { name: "bash", input: { command: "cat ../outside.txt" } },
      { name: "bash", input: { command: `cat ${join(parent, "outside.txt")}` } },
      { name: "bash", input: { command: "cat inside.txt && pwd" } },
      { name: "str_replace_based_edit_tool", input: { command: "view", path: "../outside.txt" } },
    ]);
    for (const a of answers.slice(0, 2)) {
      expect(a.content).not.toContain("TOP SECRET");
      expect(a.content).toMatch(/No such file or directory/);
      expect(a.content).toMatch(/\[exit code: 1\]$/);
    }
    expect(answers[2]?.content).toBe(`visible\n${root}\n[exit code: 0]`);
    expect(answers[3]?.isError).toBe(true);
    expect(answers[3]?.content).toContain("outside the workspace");
  });

  it("bash reports timeouts and restarts", async () => {
    const { root } = await workspace();
    const [, bash] = coderTools({
      root,
      sandbox: { root, hide: [], expose: [] },
      env: scrubbedEnv(process.env),
      timeoutMs: 300,
    });
    const slow = await bash!.run({ command: "sleep 5" });
    expect(slow.content).toMatch(/timed out/);
    expect((await bash!.run({ restart: true })).content).toMatch(/restarted/);
    expect((await bash!.run({ command: "exit 3" })).content).toBe("[exit code: 3]");
  });

  it("the editor creates, views, replaces and inserts", async () => {
    const { root, tools } = await workspace();
    const ed = "str_replace_based_edit_tool";
    const { answers } = await scriptedCoder(tools, [
      {
        name: ed,
        input: { command: "create", path: "src/a.ts", file_text: "const a = 1;\nconst b = 1;\n" },
      },
      {
        name: ed,
        input: { command: "str_replace", path: "src/a.ts", old_str: "= 1", new_str: "= 2" },
      },
      {
        name: ed,
        input: { command: "str_replace", path: "src/a.ts", old_str: "const c", new_str: "x" },
      },
      {
        name: ed,
        input: {
          command: "str_replace",
          path: "src/a.ts",
          old_str: "const b = 1;",
          new_str: "const b = 2;",
        },
      },
      {
        name: ed,
        input: { command: "insert", path: "src/a.ts", insert_line: 1, insert_text: "// between\n" },
      },
      {
        name: ed,
        input: { command: "insert", path: "src/a.ts", insert_line: 0, insert_text: "// top" },
      },
      { name: ed, input: { command: "view", path: "src/a.ts" } },
      { name: ed, input: { command: "view", path: "src/a.ts", view_range: [2, 3] } },
      { name: ed, input: { command: "view", path: "." } },
      {
        name: ed,
        input: { command: "insert", path: "src/a.ts", insert_line: 99, insert_text: "x" },
      },
      { name: ed, input: { command: "undo_edit", path: "src/a.ts" } },
    ]);
    expect(answers[0]).toEqual({ content: "Created src/a.ts (3 lines)", isError: false });
    expect(answers[1]?.isError).toBe(true);
    expect(answers[1]?.content).toMatch(/appears 2 times.*lines 1, 2/);
    expect(answers[2]?.isError).toBe(true);
    expect(answers[2]?.content).toMatch(/does not appear verbatim/);
    expect(answers[3]?.content).toContain("     2\tconst b = 2;");
    expect(answers[6]?.content).toBe(
      "     1\t// top\n     2\tconst a = 1;\n     3\t// between\n     4\tconst b = 2;",
    );
    expect(answers[7]?.content).toBe("     2\tconst a = 1;\n     3\t// between");
    expect(answers[8]?.content).toBe("src/\nsrc/a.ts");
    expect(answers[9]?.isError).toBe(true);
    expect(answers[10]?.content).toMatch(/unknown command "undo_edit"/);
    expect(await readFile(join(root, "src/a.ts"), "utf8")).toBe(
      "// top\nconst a = 1;\n// between\nconst b = 2;\n",
    );
  });
});
