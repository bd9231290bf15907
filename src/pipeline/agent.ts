import type { z } from "zod";
import { type AgentTool, runAgent } from "../agents/index.ts";
import { isRecord } from "../errors.ts";
import { redactDeep } from "../redact.ts";
import type { PhaseContext } from "./context.ts";

/** Run one agent for a phase, with progress on every tool call; failure becomes the job's error. */
export async function phaseAgent<T>(
  ctx: PhaseContext,
  a: {
    role: string;
    model: string;
    system: string;
    context: string;
    prompt: string;
    tools: AgentTool[];
    schema: z.ZodType<T>;
    label?: string;
  },
): Promise<{ output: T; summary: string }> {
  const label = a.label ?? a.role;
  const res = await runAgent({
    client: ctx.deps.model(),
    model: a.model,
    role: a.role,
    system: a.system,
    context: a.context,
    prompt: a.prompt,
    tools: a.tools,
    output: a.schema,
    usage: ctx.usage(),
    signal: ctx.signal,
    onEvent: (e) => {
      if (e.kind === "tool" && e.name !== "submit_result") {
        // A progress line is a courtesy: one lost to a database blip leaves the run untouched.
        void ctx.progress(`${label}: ${describeTool(e.name, e.input)}`).catch(() => {});
      }
      if (e.kind === "waiting") noticeWaiting(ctx, label, e.seconds);
    },
  });
  if (!res.ok) throw res.error;
  return {
    output: redactDeep(res.output, ctx.deps.cfg.redact),
    summary: ctx.deps.cfg.redact(res.summary),
  };
}

/** The faces show "waiting for the model (45 s)"; the agent loop paces these, one per notice interval. */
export function noticeWaiting(ctx: PhaseContext, label: string, seconds: number): void {
  // The next notice repeats it with the longer wait; nothing of the run depends on it.
  void ctx.emit("model_waiting", { phase: ctx.phase, label, seconds }).catch(() => {});
}

function describeTool(name: string, input: unknown): string {
  const i = isRecord(input) ? input : {};
  const arg = i.path ?? i.pattern ?? i.command ?? "";
  const text = typeof arg === "string" ? arg : JSON.stringify(arg);
  return `${name} ${text}`.slice(0, 120).trim();
}
