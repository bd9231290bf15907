import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { ToolError } from "./paths.ts";

export const MAX_VIEW_LINES = 2000;
export const MAX_VIEW_CHARS = 60_000;
const MAX_LIST_ENTRIES = 1000;
const SKIP_DIRS = new Set([".git", "node_modules"]);

/** A file with numbered lines (like `cat -n`), capped, with a note saying how to see the rest. */
export async function viewFile(
  real: string,
  shown: string,
  startLine?: number,
  endLine?: number,
): Promise<string> {
  const buf = await readFile(real);
  if (buf.subarray(0, 8000).includes(0)) {
    return `${shown} is a binary file (${buf.length} bytes); not shown`;
  }
  const lines = buf.toString("utf8").split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  const total = lines.length;
  const start = startLine ?? 1;
  const end = endLine === undefined || endLine === -1 ? total : endLine;
  if (start < 1 || (total > 0 && start > total)) {
    throw new ToolError(`start line ${start} is outside ${shown}, which has ${total} lines`);
  }
  if (end < start) throw new ToolError(`end line ${end} is before start line ${start}`);
  const width = String(Math.min(end, total)).length;
  const out: string[] = [];
  let chars = 0;
  let n = start;
  for (; n <= Math.min(end, total); n++) {
    const line = `${String(n).padStart(Math.max(width, 6))}\t${lines[n - 1] ?? ""}`;
    if (out.length >= MAX_VIEW_LINES || chars + line.length > MAX_VIEW_CHARS) break;
    out.push(line);
    chars += line.length + 1;
  }
  if (n <= Math.min(end, total)) {
    out.push(
      `… [output capped; lines ${n}-${Math.min(end, total)} of ${total} not shown: view them with a start line of ${n}]`,
    );
  }
  return out.length > 0 ? out.join("\n") : `${shown} is empty`;
}

/** Files and directories below `real`, directories with a trailing slash, .git and node_modules skipped. */
export async function listDir(real: string, shown: string, depth: number): Promise<string> {
  const s = await stat(real);
  if (!s.isDirectory()) throw new ToolError(`${shown} is a file, not a directory`);
  const out: string[] = [];
  let capped = false;
  const walk = async (dir: string, prefix: string, level: number) => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (out.length >= MAX_LIST_ENTRIES) {
        capped = true;
        return;
      }
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name)) continue;
        out.push(`${prefix}${e.name}/`);
        if (level < depth) await walk(join(dir, e.name), `${prefix}${e.name}/`, level + 1);
      } else {
        out.push(`${prefix}${e.name}`);
      }
    }
  };
  await walk(real, "", 1);
  if (capped) out.push(`… [listing capped at ${MAX_LIST_ENTRIES} entries; list a subdirectory]`);
  return out.length > 0 ? out.join("\n") : `${shown} is empty`;
}
