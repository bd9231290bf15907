import { homedir } from "node:os";
import { execCommand, rawExec, type Sandbox, scrubbedEnv } from "../workspace/exec.ts";
import { hostEnv } from "../workspace/host.ts";
import { displayPath, optInt, resolveInside, str, ToolError, tool } from "./paths.ts";
import type { AgentTool } from "./types.ts";
import { listDir, viewFile } from "./view.ts";

export { coderTools } from "./coder-tools.ts";
export { resolveInside, ToolError } from "./paths.ts";

export interface ReadOnlyToolOptions {
  /** Default: the root visible, the home directory hidden. */
  sandbox?: Sandbox;
  env?: Record<string, string>;
  /** Per command. Default 60 s. */
  timeoutMs?: number;
  /** Characters of command output kept. Default 20,000. */
  maxOutput?: number;
}

const READONLY_COMMANDS = new Set(["ls", "cat", "head", "tail", "wc", "git", "find"]);
const READONLY_GIT = new Set(["log", "show", "diff", "status", "ls-files"]);
// --output writes a file; external diff and textconv drivers run programs from git config.
const GIT_FORBIDDEN = /^--(output|ext-diff|textconv)/;
const FIND_FORBIDDEN = new Set([
  "-exec",
  "-execdir",
  "-ok",
  "-okdir",
  "-delete",
  "-fprint",
  "-fprint0",
  "-fprintf",
  "-fls",
]);
// Words are passed quoted, so these would only be literal; refusing them explains why.
const SHELL_META = /[;&|`<>\n\r$*?]/;

/** Split a command into words, allowing simple quotes but no shell features at all. */
export function parseReadonly(command: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of command.matchAll(re)) {
    const word = m[1] ?? m[2] ?? m[3] ?? "";
    if (m[3] !== undefined && SHELL_META.test(word)) {
      throw new ToolError(
        `"${word}": pipes, redirection, globs, variables and other shell syntax are not allowed in run_readonly; run one plain command`,
      );
    }
    words.push(word);
  }
  const [cmd, sub] = words;
  if (!cmd || !READONLY_COMMANDS.has(cmd)) {
    throw new ToolError(
      `run_readonly allows only: ${[...READONLY_COMMANDS].join(", ")} (got "${cmd ?? ""}")`,
    );
  }
  if (cmd === "git" && (!sub || !READONLY_GIT.has(sub))) {
    throw new ToolError(`run_readonly allows only git ${[...READONLY_GIT].join(", ")}`);
  }
  for (const w of words.slice(1)) {
    if (cmd === "git" && GIT_FORBIDDEN.test(w))
      throw new ToolError(`git option ${w} is not allowed`);
    if (cmd === "find" && FIND_FORBIDDEN.has(w)) throw new ToolError(`find ${w} is not allowed`);
  }
  return words;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function readOnlyTools(root: string, opts: ReadOnlyToolOptions = {}): AgentTool[] {
  const sandbox = opts.sandbox ?? { root, hide: [homedir()], expose: [] };
  const env = opts.env ?? scrubbedEnv(hostEnv());
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const maxOutput = opts.maxOutput ?? 20_000;
  return [
    tool(
      {
        name: "view_file",
        description: `Read a file with numbered lines. At most 2000 lines or 60,000 characters per call; use start_line/end_line (1-based, inclusive) for more.`,
        input_schema: {
          type: "object",
          properties: {
            path: { type: "string", description: "relative to the repository root" },
            start_line: { type: "integer", minimum: 1 },
            end_line: { type: "integer", description: "-1 for the end of the file" },
          },
          required: ["path"],
        },
      },
      async (input) => {
        const real = await resolveInside(root, str(input, "path"));
        return viewFile(
          real,
          await displayPath(root, real),
          optInt(input, "start_line"),
          optInt(input, "end_line"),
        );
      },
    ),
    tool(
      {
        name: "list_files",
        description:
          "List files and directories (directories end with /). Skips .git and node_modules.",
        input_schema: {
          type: "object",
          properties: {
            path: {
              type: "string",
              description: "directory relative to the root; default the root",
            },
            depth: {
              type: "integer",
              minimum: 1,
              maximum: 6,
              description: "levels to descend; default 2",
            },
          },
        },
      },
      async (input) => {
        const p = input.path === undefined ? "." : str(input, "path");
        const real = await resolveInside(root, p);
        const depth = Math.min(Math.max(optInt(input, "depth") ?? 2, 1), 6);
        return listDir(real, await displayPath(root, real), depth);
      },
    ),
    tool(
      {
        name: "search",
        description:
          "Search file contents with `git grep -n -I -E` (extended regular expression). Returns path:line:text.",
        input_schema: {
          type: "object",
          properties: {
            pattern: { type: "string", description: "extended regular expression" },
            path: { type: "string", description: "limit to this file or directory" },
          },
          required: ["pattern"],
        },
      },
      async (input) => {
        const pattern = str(input, "pattern");
        const real = await resolveInside(root, input.path === undefined ? "." : str(input, "path"));
        const cwd = await resolveInside(root, ".");
        const rel = (await displayPath(root, real)) || ".";
        const args = ["grep", "-n", "-I", "-E", "--full-name", "-e", pattern, "--", rel];
        // Outside a git checkout, search the files as they are.
        const r = await rawExec("git", ["-c", "grep.fallbackToNoIndex=true", ...args], {
          cwd,
          env,
          timeoutMs,
          maxOutput,
        });
        if (r.exitCode === 1 && !r.output.trim()) return "No matches.";
        if (!r.ok)
          return { content: `search failed (exit ${r.exitCode}): ${r.output}`, isError: true };
        return r.output;
      },
    ),
    tool(
      {
        name: "run_readonly",
        description:
          "Run one read-only command in the repository: ls, cat, head, tail, wc, find (no -exec/-delete), or git log/show/diff/status/ls-files. No pipes, redirection or globs.",
        input_schema: {
          type: "object",
          properties: { command: { type: "string" } },
          required: ["command"],
        },
      },
      async (input, signal) => {
        const words = parseReadonly(str(input, "command"));
        // Path-like arguments must stay in the workspace too; the sandbox is the second line.
        for (const w of words.slice(1)) {
          const value = w.startsWith("-") ? w.split("=").slice(1).join("=") : w;
          if (value && (value.startsWith("/") || value.split(/[\\/]/).includes(".."))) {
            await resolveInside(root, value);
          }
        }
        const cwd = await resolveInside(root, ".");
        const r = await execCommand(words.map(q).join(" "), {
          cwd,
          env,
          sandbox,
          timeoutMs,
          maxOutput,
          ...(signal ? { signal } : {}),
        });
        const sep = r.output === "" || r.output.endsWith("\n") ? "" : "\n";
        return {
          content: `${r.output}${sep}[exit code: ${r.exitCode ?? r.signal}]`,
          isError: !r.ok,
        };
      },
    ),
  ];
}
