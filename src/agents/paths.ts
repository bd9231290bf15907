import { lstat, realpath } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { errnoCode, isRecord } from "../errors.ts";
import type { AgentTool, ToolOutput } from "./types.ts";

/** A refusal or bad input the model should read; never leaves a tool as an exception. */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ToolError";
  }
}

const inside = (root: string, p: string) => {
  const rel = relative(root, p);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
};

/** realpath of the nearest existing ancestor, with the missing rest appended. */
async function realpathLenient(p: string): Promise<string> {
  const missing: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return join(await realpath(cur), ...missing.reverse());
    } catch (e) {
      const code = errnoCode(e);
      if (code !== "ENOENT" && code !== "ENOTDIR") throw e;
      // A link whose target is missing would be followed by a later write: refuse it.
      // What lstat can't see is no link: it is missing too, and the walk goes up.
      const isLink = await lstat(cur).then(
        (s) => s.isSymbolicLink(),
        () => false,
      );
      if (isLink) throw new ToolError(`${p} is a symbolic link to a missing target; refusing it`);
      const parent = dirname(cur);
      if (parent === cur) return p;
      missing.push(cur.slice(parent.length).replace(/^[/\\]+/, ""));
      cur = parent;
    }
  }
}

/**
 * Resolve a path the model gave against the workspace root and refuse
 * anything that is, or through a symlink leads, outside it. Returns the real
 * absolute path.
 */
export async function resolveInside(root: string, p: string): Promise<string> {
  if (typeof p !== "string") throw new ToolError("path must be a string");
  if (p.includes("\0")) throw new ToolError("path must not contain NUL bytes");
  const rootAbs = resolve(root);
  const rootReal = await realpath(rootAbs).catch(() => {
    throw new ToolError(`the workspace ${rootAbs} does not exist`);
  });
  const asked = p.trim() === "" ? "." : p.trim();
  const lexical = isAbsolute(asked) ? resolve(asked) : resolve(rootAbs, asked);
  // Absolute paths may name the root by either spelling (e.g. /tmp vs /private/tmp).
  const base = inside(rootAbs, lexical)
    ? rootAbs
    : inside(rootReal, lexical)
      ? rootReal
      : undefined;
  if (base === undefined) {
    throw new ToolError(
      `${p} is outside the workspace; only paths inside ${rootAbs} are allowed (use paths relative to it)`,
    );
  }
  const real = await realpathLenient(join(rootReal, relative(base, lexical)));
  if (!inside(rootReal, real)) {
    throw new ToolError(
      `${p} resolves through a symbolic link to ${real}, outside the workspace; refusing it`,
    );
  }
  return real;
}

/** The path as the model should see it: relative to the root, "." for the root itself. */
export async function displayPath(root: string, real: string): Promise<string> {
  const rootReal = await realpath(resolve(root));
  return relative(rootReal, real) || ".";
}

/** Wrap a handler so refusals and surprises reach the model as tool errors. */
export function tool(
  definition: AgentTool["definition"],
  handler: (input: Record<string, unknown>, signal?: AbortSignal) => Promise<ToolOutput | string>,
): AgentTool {
  return {
    definition,
    async run(input, signal) {
      if (!isRecord(input)) {
        return { content: "tool input must be a JSON object", isError: true };
      }
      try {
        const out = await handler(input, signal);
        return typeof out === "string" ? { content: out } : out;
      } catch (e) {
        if (e instanceof ToolError) return { content: `Error: ${e.message}`, isError: true };
        const code = isRecord(e) ? e.code : undefined;
        const message = e instanceof Error ? e.message : String(e);
        return { content: `Error${code ? ` (${String(code)})` : ""}: ${message}`, isError: true };
      }
    },
  };
}

export function str(input: Record<string, unknown>, key: string): string {
  const v = input[key];
  if (typeof v !== "string") throw new ToolError(`"${key}" is required and must be a string`);
  return v;
}

export function optInt(input: Record<string, unknown>, key: string): number | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v))
    throw new ToolError(`"${key}" must be an integer`);
  return v;
}
