import { execFileSync } from "node:child_process";
import { mkdir, realpath, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AgentTool } from "../../src/agents/index.ts";
import { readOnlyTools, resolveInside } from "../../src/agents/index.ts";
import { tempDir } from "./helpers.ts";

async function workspace() {
  const parent = await realpath(await tempDir());
  const root = join(parent, "repo");
  await mkdir(join(root, "src"), { recursive: true });
  await mkdir(join(root, "node_modules/dep"), { recursive: true });
  await writeFile(
    join(root, "src/math.ts"),
    "export const add = (a, b) => a + b;\nexport const sub = (a, b) => a - b;\n",
  );
  await writeFile(join(root, "node_modules/dep/index.js"), "module.exports = add;\n");
  await writeFile(join(root, "README.md"), "# demo\n");
  await writeFile(join(parent, "outside.txt"), "TOP SECRET\n");
  return { parent, root };
}

const byName = (tools: AgentTool[], name: string) => {
  const t = tools.find((x) => "name" in x.definition && x.definition.name === name);
  if (!t) throw new Error(`no tool ${name}`);
  return (input: unknown) => t.run(input);
};

describe("resolveInside", () => {
  it("accepts relative paths and absolute paths inside the root", async () => {
    const { root } = await workspace();
    expect(await resolveInside(root, "src/math.ts")).toBe(join(root, "src/math.ts"));
    expect(await resolveInside(root, join(root, "README.md"))).toBe(join(root, "README.md"));
    expect(await resolveInside(root, "src/../README.md")).toBe(join(root, "README.md"));
    expect(await resolveInside(root, "new/dir/file.ts")).toBe(join(root, "new/dir/file.ts"));
  });

  it("refuses .. escapes, absolute paths outside, and symlinks leading outside", async () => {
    const { parent, root } = await workspace();
    await symlink(join(parent, "outside.txt"), join(root, "link.txt"));
    await symlink(parent, join(root, "up"));
    await symlink(join(parent, "missing.txt"), join(root, "dangling"));
    await expect(resolveInside(root, "../x")).rejects.toThrow(/outside the workspace/);
    await expect(resolveInside(root, "/etc/passwd")).rejects.toThrow(/outside the workspace/);
    await expect(resolveInside(root, "link.txt")).rejects.toThrow(/symbolic link/);
    await expect(resolveInside(root, "up/outside.txt")).rejects.toThrow(/symbolic link/);
    await expect(resolveInside(root, "up/new-file.txt")).rejects.toThrow(/symbolic link/);
    await expect(resolveInside(root, "dangling")).rejects.toThrow(/missing target/);
  });
});

describe("read-only tools", () => {
  it("return refusals as tool errors instead of throwing", async () => {
    const { parent, root } = await workspace();
    await symlink(join(parent, "outside.txt"), join(root, "link.txt"));
    const view = byName(readOnlyTools(root), "view_file");
    for (const path of ["../outside.txt", "/etc/passwd", "link.txt"]) {
      const r = await view({ path });
      expect(r.isError).toBe(true);
      expect(r.content).not.toContain("TOP SECRET");
      expect(r.content).not.toContain("root:");
    }
    expect((await view({})).content).toContain('"path" is required');
  });

  it("view_file numbers lines, honours ranges and caps long files", async () => {
    const { root } = await workspace();
    await writeFile(
      join(root, "long.txt"),
      Array.from({ length: 3000 }, (_, i) => `line ${i + 1}`).join("\n"),
    );
    const view = byName(readOnlyTools(root), "view_file");
    expect((await view({ path: "src/math.ts" })).content).toBe(
      "     1\texport const add = (a, b) => a + b;\n     2\texport const sub = (a, b) => a - b;",
    );
    expect((await view({ path: "src/math.ts", start_line: 2, end_line: 2 })).content).toBe(
      "     2\texport const sub = (a, b) => a - b;",
    );
    const long = (await view({ path: "long.txt" })).content.split("\n");
    expect(long).toHaveLength(2001);
    expect(long[1999]).toContain("line 2000");
    expect(long[2000]).toMatch(/capped.*start line of 2001/);
    expect((await view({ path: "src/math.ts", start_line: 9 })).isError).toBe(true);
  });

  it("list_files skips .git and node_modules", async () => {
    const { root } = await workspace();
    execFileSync("git", ["init", "-q"], { cwd: root });
    const list = byName(readOnlyTools(root), "list_files");
    expect((await list({})).content.split("\n")).toEqual(["README.md", "src/", "src/math.ts"]);
    expect((await list({ path: "src", depth: 1 })).content).toBe("math.ts");
  });

  it("search uses git grep, with and without a git repository", async () => {
    const { root } = await workspace();
    const search = byName(readOnlyTools(root), "search");
    expect((await search({ pattern: "const (add|sub)" })).content).toContain(
      "src/math.ts:2:export const sub",
    );
    execFileSync("git", ["init", "-q"], { cwd: root });
    execFileSync("git", ["add", "."], { cwd: root });
    const hits = (await search({ pattern: "add", path: "src" })).content;
    expect(hits).toBe("src/math.ts:1:export const add = (a, b) => a + b;\n");
    expect((await search({ pattern: "nothing-like-this" })).content).toBe("No matches.");
    expect((await search({ pattern: "x", path: "../" })).isError).toBe(true);
  });

  it("run_readonly runs allow-listed commands and refuses everything else", async () => {
    const { root } = await workspace();
    execFileSync("git", ["init", "-q"], { cwd: root });
    const run = byName(
      readOnlyTools(root, { sandbox: { root, hide: [], expose: [] } }),
      "run_readonly",
    );
    const ls = await run({ command: "ls src" });
    expect(ls.isError).toBe(false);
    expect(ls.content).toBe("math.ts\n[exit code: 0]");
    expect((await run({ command: "wc -l src/math.ts" })).content).toContain("2 src/math.ts");
    expect((await run({ command: "git status --short" })).isError).toBe(false);
    expect((await run({ command: 'find . -name "*.ts"' })).content).toContain("./src/math.ts");
    const refused = [
      "rm -rf src",
      "cat src/math.ts | sh",
      "ls; rm README.md",
      "find . -delete",
      "git diff --output=x",
      "git push",
      "cat /etc/passwd",
      "cat ../outside.txt",
      "ls $HOME",
    ];
    for (const command of refused) {
      const r = await run({ command });
      expect(r.isError, command).toBe(true);
      expect(r.content, command).toMatch(/^Error: /);
    }
    expect((await run({ command: "cat README.md" })).content).toContain("# demo");
    // The default sandbox (home directory hidden) still shows the workspace.
    const byDefault = byName(readOnlyTools(root), "run_readonly");
    expect((await byDefault({ command: "ls src" })).content).toBe("math.ts\n[exit code: 0]");
  });
});
