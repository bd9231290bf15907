import type { PlannedTask } from "../../src/pipeline/implementation/plan.ts";
import {
  type MessagesRequest,
  promptText,
  roleOf,
  type ScriptedTurn,
  submit,
  text,
  toolUse,
  turnIndex,
} from "../support/fake-anthropic.ts";
import { nodeFixtureFiles } from "../support/git-fixtures.ts";

/** Scripted agents for the orchestrator tests: a planner, coders per task, a reviewer. */

export const KEY = "sk-ant-test-orchestrator-0123456789";

/** A Node project whose gates are tiny node commands: no install step, a second or less. */
export function projectFiles(extra: Record<string, string> = {}): Record<string, string> {
  const gates = {
    gates: {
      typecheck: "node scripts/check.mjs",
      test: "node --test --experimental-test-isolation=none",
      lint: "node scripts/lint.mjs",
    },
  };
  return {
    ...nodeFixtureFiles({ lockfile: false }),
    // One process: a module that does not parse fails to load.
    "scripts/check.mjs": [
      'import { pathToFileURL } from "node:url";',
      'import { sources } from "./files.mjs";',
      "for (const f of sources()) await import(pathToFileURL(f).href);",
      "",
    ].join("\n"),
    "paul.gates.json": `${JSON.stringify(gates, null, 2)}\n`,
    ...extra,
  };
}

export interface CoderCall {
  key: string;
  /** 1 for the task's first conversation, 2 for the next, … (discarded ones included). */
  attempt: number;
  turn: number;
  model: string;
  prompt: string;
  req: MessagesRequest;
}

export interface Script {
  plan: PlannedTask[] | ((req: MessagesRequest, turn: number) => ScriptedTurn);
  coders: Record<string, (c: CoderCall) => ScriptedTurn | Promise<ScriptedTurn>>;
  reviewer?: (c: { turn: number; n: number; prompt: string }) => ScriptedTurn;
}

export interface Call {
  role: string;
  key?: string;
  attempt?: number;
  turn: number;
  model: string;
  prompt: string;
}

const turn = (...content: ScriptedTurn["content"]): ScriptedTurn => ({ content });

/** A coder that writes `files` on its first turn and submits on the next. */
export function writes(
  files: Record<string, string>,
  summary = "Done.",
  conditions: string[] = [],
) {
  return (c: { turn: number }): ScriptedTurn =>
    c.turn === 0
      ? turn(
          ...Object.entries(files).map(([path, file_text]) =>
            toolUse("str_replace_based_edit_tool", { command: "create", path, file_text }),
          ),
        )
      : turn(submit({ summary, conditionsAddressed: conditions }));
}

/** A different coder script per attempt; the last one repeats. */
export function perAttempt(...scripts: ((c: CoderCall) => ScriptedTurn)[]) {
  return (c: CoderCall) => scripts[Math.min(c.attempt, scripts.length) - 1]!(c);
}

export const refuse = (): ScriptedTurn => ({
  content: [text("I can't help with that.")],
  stop_reason: "refusal",
});

export function task(id: string, o: Partial<PlannedTask> = {}): PlannedTask {
  return {
    id,
    title: `Task ${id}`,
    description: `Do ${id}.`,
    files: [`src/${id.toLowerCase()}.mjs`],
    size: "S",
    dependsOn: [],
    conditions: [],
    ...o,
  };
}

/** The model server's answers: routed by role, coders by the task key in their prompt. */
export function scriptedModel(script: Script, calls: Call[]) {
  const o = { script };
  const counts = new Map<string, number>();
  let reviews = 0;
  return async (req: MessagesRequest): Promise<ScriptedTurn> => {
    const role = roleOf(req) ?? "";
    const t = turnIndex(req);
    const prompt = promptText(req);
    if (role === "planner") {
      calls.push({ role, turn: t, model: req.model, prompt });
      return typeof o.script.plan === "function"
        ? o.script.plan(req, t)
        : turn(submit({ tasks: o.script.plan }));
    }
    if (role === "reviewer") {
      if (t === 0) reviews++;
      calls.push({ role, turn: t, model: req.model, prompt });
      return (
        o.script.reviewer?.({ turn: t, n: reviews, prompt }) ??
        turn(submit({ approved: true, requiredChanges: [], summary: "Fine." }))
      );
    }
    const key = /Your task (\S+):/.exec(prompt)?.[1] ?? "?";
    if (t === 0) counts.set(key, (counts.get(key) ?? 0) + 1);
    const attempt = counts.get(key) ?? 1;
    calls.push({ role, key, attempt, turn: t, model: req.model, prompt });
    const coder = o.script.coders[key];
    if (!coder) return turn(text(`no script for ${role} ${key}`));
    return coder({ key, attempt, turn: t, model: req.model, prompt, req });
  };
}

/** The first prompt of each conversation the coder of `key` had, in order. */
export function coderPrompts(calls: Call[], key: string): string[] {
  return calls
    .filter((c) => c.role === "coder" && c.key === key && c.turn === 0)
    .map((c) => c.prompt);
}
