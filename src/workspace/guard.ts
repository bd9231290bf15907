import { randomUUID } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { git, gitOut, splitZ } from "./git.ts";

/**
 * Agents work in worktrees whose git config is the mirror's, and the sandbox
 * can't make it read-only. A coder could add a filter or merge driver (run by
 * Paul's own `git add` or `merge`, outside the sandbox), an `insteadOf` that
 * sends Paul's push and its token elsewhere, or an include of a file it
 * controls. Before Paul's git touches a repository after an agent has run in
 * it, everything but the few keys Paul wrote is dropped.
 */
const KEEP = new Set([
  "core.repositoryformatversion",
  "core.filemode",
  "core.bare",
  "core.ignorecase",
  "core.precomposeunicode",
  "core.symlinks",
  "extensions.objectformat",
  "remote.origin.url",
  "remote.origin.fetch",
  "paul.spec",
  "paul.key",
]);

function quote(value: string): string {
  const escaped = value
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(/\t/g, "\\t");
  return `"${escaped}"`;
}

function render(entries: [string, string][]): string {
  const sections = new Map<string, string[]>();
  for (const [key, value] of entries) {
    const first = key.indexOf(".");
    const last = key.lastIndexOf(".");
    const section = key.slice(0, first);
    const sub = first === last ? undefined : key.slice(first + 1, last);
    const header = sub === undefined ? `[${section}]` : `[${section} ${quote(sub)}]`;
    const lines = sections.get(header) ?? [];
    lines.push(`\t${key.slice(last + 1)} = ${quote(value)}`);
    sections.set(header, lines);
  }
  return [...sections].map(([h, lines]) => `${h}\n${lines.join("\n")}\n`).join("");
}

/** Reduce the config of the repository `repoDir` belongs to (its mirror, for a worktree) to Paul's keys. */
export async function sanitizeRepoConfig(repoDir: string): Promise<void> {
  const common = resolve(repoDir, await gitOut(["rev-parse", "--git-common-dir"], repoDir));
  const file = join(common, "config");
  const r = await git(["config", "--file", file, "--no-includes", "--list", "-z"], repoDir);
  const entries = splitZ(r.stdout).map((e): [string, string] => {
    const nl = e.indexOf("\n");
    return nl < 0 ? [e, "true"] : [e.slice(0, nl), e.slice(nl + 1)];
  });
  const kept = entries.filter(([k]) => KEEP.has(k.toLowerCase()));
  if (kept.length === entries.length) return;
  const tmp = `${file}.paul-${randomUUID().slice(0, 8)}`;
  await writeFile(tmp, render(kept));
  await rename(tmp, file);
}
