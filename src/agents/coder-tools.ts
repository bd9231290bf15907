import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { execCommand, type Sandbox } from "../workspace/exec.ts";
import { displayPath, optInt, resolveInside, str, ToolError, tool } from "./paths.ts";
import type { AgentTool } from "./types.ts";
import { listDir, viewFile } from "./view.ts";

export interface CoderToolOptions {
  root: string;
  sandbox: Sandbox;
  /** Already scrubbed of credentials (see scrubbedEnv). */
  env: Record<string, string>;
  /** Per bash command. */
  timeoutMs: number;
  /** Characters of bash output kept. Default 20,000. */
  maxOutput?: number;
}

export const EDITOR_TOOL = "str_replace_based_edit_tool";
export const BASH_TOOL = "bash";

const lineOf = (text: string, index: number) => text.slice(0, index).split("\n").length;

/** A view_range as the model must send it: [start_line, end_line]. */
const isLineRange = (v: unknown): v is [number, number] =>
  Array.isArray(v) && v.length === 2 && v.every(Number.isInteger);

/** A few numbered lines around an edit, so the model can check it without another view. */
function snippet(text: string, firstLine: number, lastLine: number): string {
  const lines = text.split("\n");
  const from = Math.max(1, firstLine - 3);
  const to = Math.min(lines.length, lastLine + 3);
  const out: string[] = [];
  for (let n = from; n <= to; n++) out.push(`${String(n).padStart(6)}\t${lines[n - 1] ?? ""}`);
  return out.join("\n");
}

async function readText(real: string, shown: string): Promise<string> {
  const s = await stat(real).catch(() => {
    throw new ToolError(`${shown} does not exist`);
  });
  if (s.isDirectory()) throw new ToolError(`${shown} is a directory`);
  return readFile(real, "utf8");
}

function editorTool(root: string): AgentTool {
  return tool({ type: "text_editor_20250728", name: EDITOR_TOOL }, async (input) => {
    const command = str(input, "command");
    const real = await resolveInside(root, str(input, "path"));
    const shown = await displayPath(root, real);
    switch (command) {
      case "view": {
        const s = await stat(real).catch(() => {
          throw new ToolError(`${shown} does not exist`);
        });
        if (s.isDirectory()) return listDir(real, shown, 2);
        const range = input.view_range;
        if (range !== undefined && range !== null) {
          if (!isLineRange(range)) {
            throw new ToolError(
              "view_range must be [start_line, end_line] (end_line -1 for the end)",
            );
          }
          return viewFile(real, shown, range[0], range[1]);
        }
        return viewFile(real, shown);
      }
      case "create": {
        const text = str(input, "file_text");
        // Whatever keeps stat from answering, writeFile below meets and reports it.
        const existing = await stat(real).catch(() => undefined);
        if (existing?.isDirectory()) throw new ToolError(`${shown} is a directory`);
        await mkdir(dirname(real), { recursive: true });
        await writeFile(real, text);
        return `${existing ? "Overwrote" : "Created"} ${shown} (${text.split("\n").length} lines)`;
      }
      case "str_replace": {
        const oldStr = str(input, "old_str");
        const newStr =
          input.new_str === undefined || input.new_str === null ? "" : str(input, "new_str");
        if (oldStr === "") throw new ToolError("old_str must not be empty");
        const text = await readText(real, shown);
        const at: number[] = [];
        for (let i = text.indexOf(oldStr); i !== -1; i = text.indexOf(oldStr, i + 1)) at.push(i);
        const [i] = at;
        if (i === undefined) {
          throw new ToolError(
            `No replacement was performed: old_str does not appear verbatim in ${shown}. View the file and copy the text exactly, whitespace included.`,
          );
        }
        if (at.length > 1) {
          const lines = at.map((i) => lineOf(text, i)).join(", ");
          throw new ToolError(
            `No replacement was performed: old_str appears ${at.length} times in ${shown} (lines ${lines}). Include more surrounding lines so it matches exactly once.`,
          );
        }
        const next = text.slice(0, i) + newStr + text.slice(i + oldStr.length);
        await writeFile(real, next);
        const first = lineOf(next, i);
        return `Edited ${shown}:\n${snippet(next, first, first + newStr.split("\n").length - 1)}`;
      }
      case "insert": {
        const insertText =
          typeof input.insert_text === "string" ? input.insert_text : str(input, "new_str");
        const after = optInt(input, "insert_line");
        if (after === undefined)
          throw new ToolError(`"insert_line" is required (0 inserts at the top)`);
        const text = await readText(real, shown);
        const lines = text.split("\n");
        const trailing = lines.length > 1 && lines[lines.length - 1] === "";
        if (trailing) lines.pop();
        if (after < 0 || after > lines.length) {
          throw new ToolError(
            `insert_line ${after} is outside ${shown}, which has ${lines.length} lines (use 0..${lines.length})`,
          );
        }
        const added = insertText.replace(/\n$/, "").split("\n");
        lines.splice(after, 0, ...added);
        const next = lines.join("\n") + (trailing || text === "" ? "\n" : "");
        await writeFile(real, next);
        return `Inserted ${added.length} lines into ${shown}:\n${snippet(next, after + 1, after + added.length)}`;
      }
      default:
        throw new ToolError(
          `unknown command "${command}"; use view, create, str_replace or insert`,
        );
    }
  });
}

function bashTool(o: CoderToolOptions): AgentTool {
  return tool({ type: "bash_20250124", name: BASH_TOOL }, async (input, signal) => {
    if (input.restart === true) {
      return "Shell restarted. Every command runs in a fresh shell in the repository root; cd and variables do not carry over.";
    }
    const command = str(input, "command");
    if (!command.trim()) throw new ToolError("command is empty");
    const cwd = await resolveInside(o.root, ".");
    const r = await execCommand(command, {
      cwd,
      env: o.env,
      sandbox: o.sandbox,
      timeoutMs: o.timeoutMs,
      maxOutput: o.maxOutput ?? 20_000,
      ...(signal ? { signal } : {}),
    });
    const status = r.timedOut ? "timed out" : `exit code: ${r.exitCode ?? r.signal}`;
    // A failing command is a normal result the model reasons about, not a tool failure.
    return `${r.output}${r.output.endsWith("\n") || !r.output ? "" : "\n"}[${status}]`;
  });
}

/** The Anthropic-defined editor and bash client tools, confined to the workspace. */
export function coderTools(opts: CoderToolOptions): AgentTool[] {
  return [editorTool(opts.root), bashTool(opts)];
}
