import type { MemoryRow } from "../db/memories.ts";
import type { GatePlan } from "../gates/discover.ts";

/** Tells the recorded model (and humans reading transcripts) which agent is speaking. */
export function roleMarker(role: string): string {
  return `[paul-role: ${role}]`;
}

export function renderMemories(memories: MemoryRow[]): string {
  if (memories.length === 0) return "";
  const lines = memories.map((m) => {
    const where =
      m.scope === "repo" ? "repository learning" : `${m.kind}${m.phase ? ` on ${m.phase}` : ""}`;
    return `- (${where}${m.author ? `, ${m.author}` : ""}) ${m.content}`;
  });
  return `What the people steering this run have said (follow it):\n${lines.join("\n")}`;
}

export function renderGates(plan: GatePlan): string {
  if (plan.gates.length === 0)
    return "The repository defines no gates (typecheck/test/lint/build).";
  const lines = plan.gates.map((g) => `- ${g.gate}: \`${g.command}\``);
  return `Gates that must pass (the repository's own checks):\n${lines.join("\n")}${plan.install ? `\nInstall step: \`${plan.install}\`` : ""}`;
}

export function bullet(items: readonly string[], empty = "(none)"): string {
  return items.length === 0 ? empty : items.map((s) => `- ${s}`).join("\n");
}
