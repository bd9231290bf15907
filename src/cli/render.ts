import type { RunEventMap, TaskBoardEntry, TasksEvent } from "../db/events.ts";
import { type Doc, isList, type Part, plainText } from "../pipeline/doc.ts";
import { renderImplementation as implementationDoc } from "../pipeline/implementation/render.ts";
import type { ImplementationOutput } from "../pipeline/implementation/schema.ts";

const STATUS_WORDS: Record<TaskBoardEntry["status"], string> = {
  pending: "pending",
  in_progress: "in progress",
  validating: "validating",
  merged: "merged",
  abandoned: "abandoned",
  conflict: "conflict",
  failed: "paused",
  skipped: "skipped",
  blocked: "blocked",
};

export function taskStatusText(t: TaskBoardEntry): string {
  const word =
    t.status === "validating" && t.note === "review" ? "in review" : STATUS_WORDS[t.status];
  return t.attempt !== null ? `${word} (attempt ${t.attempt}/${t.maxAttempts})` : word;
}

/** The wave table: the plan with its tasks when it is made, one line per wave as statuses change. */
export function renderTasksEvent(e: TasksEvent): string {
  if (e.change === "plan") {
    const tasks = e.waves.flatMap((w) => w.tasks);
    const lines = tasks.map(
      (t) =>
        `  ${t.key} [${t.size}] ${t.title}${t.dependsOn.length > 0 ? ` (after ${t.dependsOn.join(", ")})` : ""}`,
    );
    return `  Plan: ${e.line}\n${lines.join("\n")}\n`;
  }
  const rows = e.waves.map(
    (w) => `  │ Wave ${w.wave}: ${w.tasks.map((t) => `${t.key} ${taskStatusText(t)}`).join(" · ")}`,
  );
  return `${rows.join("\n")}\n`;
}

/** One line while a model call is outstanding; the Slack header shows the same words. */
export function renderModelWaiting(w: RunEventMap["model_waiting"]): string {
  return `${w.label}: waiting for the model (${w.seconds} s)`;
}

/** A phase's document as terminal text: summary first, then each section, lists as "- item". */
export function drawDoc(doc: Doc): string {
  const part = (p: Part): string =>
    isList(p)
      ? `${p.title}:\n${p.items.length === 0 ? "  (none)" : p.items.map((l) => `  - ${plainText(l)}`).join("\n")}`
      : plainText(p);
  const sections = doc.sections.map((s) =>
    [...(s.title ? [`${s.title}:`] : []), ...s.parts.map(part)].join("\n"),
  );
  return [plainText(doc.summary), ...sections].join("\n\n");
}

/** The implementation's result as the terminal shows it (also under `paul show`). */
export function renderImplementation(r: ImplementationOutput): string {
  return drawDoc(implementationDoc(r));
}
