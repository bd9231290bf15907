import { z } from "zod";
import type { RunEventMap } from "../db/events.ts";
import {
  byPhase,
  FLOWS,
  isPhase,
  nextPhase,
  PHASE_TITLES,
  type Phase,
} from "../pipeline/phases.ts";
import { SANDBOX_OFF_NOTICE } from "../pipeline/run.ts";
import { esc, truncate } from "./text.ts";

/**
 * The phase checklist of a run's root message, folded from all of the run's
 * events each time it is shown, so an update after a restart or a coalesced
 * burst always shows the latest state.
 */
export type StepState =
  | "pending"
  | "queued"
  | "running"
  | "waiting"
  | "done"
  | "failed"
  | "cancelled";

export interface BoardTask {
  key: string;
  title: string;
  status: string;
  attempt: number | null;
  maxAttempts: number | null;
  note: string | null;
}

export interface Checklist {
  steps: Record<Phase, StepState>;
  current: Phase | undefined;
  /** The implementation's wave table, from its latest `tasks` event. */
  board: { line: string; tasks: BoardTask[] } | undefined;
  /** Per task key ("" for a task-less message): "attempt 2 of 5", "gate test running". */
  attempt: Map<string, string>;
  gate: Map<string, string>;
  retrying: string | undefined;
  /** "analysis: waiting for the model (45 s)" until the next sign of life. */
  modelWait: string | undefined;
  finished: RunEventMap["run_finished"] | undefined;
  /** The run started with PAUL_SANDBOX=off: its header says so for good. */
  sandboxOff: boolean;
}

interface EventLike {
  kind: string;
  data: unknown;
}

/** A field of the wrong type (an older Paul's event, a hand-made one) reads as absent. */
const maybe = <T extends z.ZodType>(t: T) => t.optional().catch(undefined);

const BoardTaskSchema = z.object({
  key: z.string(),
  title: z.string(),
  status: z.string(),
  attempt: z.number().nullable().catch(null),
  maxAttempts: z.number().nullable().catch(null),
  note: z.string().nullable().catch(null),
});

/** Every field of an event's data the checklist reads, whatever the event's kind. */
const EventDataSchema = z
  .object({
    phase: maybe(z.string()),
    message: maybe(z.string()),
    attempt: maybe(z.number()),
    kind: maybe(z.string()),
    action: maybe(z.string()),
    status: maybe(z.string()),
    label: maybe(z.string()),
    seconds: maybe(z.number()),
    line: maybe(z.string()),
    waves: maybe(z.array(z.object({ tasks: maybe(z.array(BoardTaskSchema)) }))),
  })
  .catch({});
type EventData = z.infer<typeof EventDataSchema>;

/** Decisions that run the phase again, carry on inside it, or are followed by another event. */
const RESTARTS = new Set(["revise", "regenerate"]);
const CONTINUES = new Set(["retry", "skip"]);
const STAYS = new Set(["cancel", "choose_another"]);

export function foldEvents(events: readonly EventLike[]): Checklist {
  const c: Checklist = {
    steps: byPhase(() => "pending"),
    current: undefined,
    board: undefined,
    attempt: new Map(),
    gate: new Map(),
    retrying: undefined,
    modelWait: undefined,
    finished: undefined,
    sandboxOff: false,
  };
  const from = (p: Phase, state: StepState, later: StepState) => {
    const at = FLOWS.build.indexOf(p);
    FLOWS.build.forEach((q, i) => {
      if (i < at) c.steps[q] = "done";
      else if (i > at) c.steps[q] = later;
    });
    c.steps[p] = state;
    c.current = p;
  };
  for (const ev of events) {
    const d = EventDataSchema.parse(ev.data);
    const phase = d.phase !== undefined && isPhase(d.phase) ? d.phase : undefined;
    // Any other event means the model answered, or the run moved on.
    c.modelWait = ev.kind === "model_waiting" ? waitingText(d) : undefined;
    switch (ev.kind) {
      case "phase_started":
        if (phase) from(phase, "running", "pending");
        c.attempt.clear();
        c.gate.clear();
        c.retrying = undefined;
        if (phase === "implementation") c.board = undefined;
        break;
      case "progress": {
        const msg = d.message ?? "";
        if (msg === SANDBOX_OFF_NOTICE) c.sandboxOff = true;
        const task = /^(\S+): /.exec(msg)?.[1] ?? "";
        const attempt = /attempt (\d+) of (\d+)/.exec(msg);
        if (attempt) {
          c.attempt.set(task, `attempt ${attempt[1]} of ${attempt[2]}`);
          c.gate.delete(task);
        }
        const gate = /gate (\S+) (running|passed|failed)/.exec(msg);
        if (gate) c.gate.set(task, `gate ${gate[1]} ${gate[2]}`);
        break;
      }
      case "tasks":
        c.board = { line: d.line ?? "", tasks: (d.waves ?? []).flatMap((w) => w.tasks ?? []) };
        break;
      case "retrying":
        c.retrying = `retrying after a temporary problem (attempt ${d.attempt ?? "?"})`;
        break;
      case "cta_created":
        // A choice asked again after a failed review belongs to the approaches step.
        if (d.kind === "choice") from("approaches", "waiting", "pending");
        else if (c.current) c.steps[c.current] = "waiting";
        break;
      case "cta_resolved": {
        if (!c.current || c.steps[c.current] !== "waiting") break;
        const action = d.action ?? "";
        if (RESTARTS.has(action)) c.steps[c.current] = "queued";
        else if (CONTINUES.has(action)) c.steps[c.current] = "running";
        else if (!STAYS.has(action)) {
          c.steps[c.current] = "done";
          const next = nextPhase("build", c.current);
          if (next) c.steps[next] = "queued";
        }
        break;
      }
      case "run_finished": {
        c.finished = { status: d.status ?? "", message: d.message ?? "" };
        const end: StepState =
          c.finished.status === "done"
            ? "done"
            : c.finished.status === "failed"
              ? "failed"
              : "cancelled";
        for (const p of FLOWS.build) {
          if (["running", "waiting", "queued"].includes(c.steps[p]))
            c.steps[p] = end === "done" ? "done" : end;
        }
        if (end === "done") for (const p of FLOWS.build) c.steps[p] = "done";
        break;
      }
    }
  }
  return c;
}

const waitingText = (w: EventData) =>
  `${w.label ?? w.phase ?? "a model call"}: waiting for the model (${w.seconds ?? "?"} s)`;

const TASK_ICON: Record<string, string> = {
  pending: ":white_large_square:",
  in_progress: ":hourglass_flowing_sand:",
  validating: ":mag:",
  merged: ":white_check_mark:",
  abandoned: ":x:",
  // A task in "failed" is paused, waiting for a person's decision in the thread.
  failed: ":double_vertical_bar:",
  conflict: ":warning:",
  skipped: ":fast_forward:",
  blocked: ":no_entry:",
};

/** Under the implementation step: the wave line and one line per task, live. */
function boardLines(c: Checklist): string[] {
  if (!c.board) {
    const keys = [...new Set([...c.attempt.keys(), ...c.gate.keys()])];
    return keys.map(
      (k) =>
        `      ${k ? `*${esc(k)}* ` : ""}${[c.attempt.get(k), c.gate.get(k)].filter(Boolean).join(" · ")}`,
    );
  }
  const lines = c.board.line ? [`      ${esc(c.board.line)}`] : [];
  for (const t of c.board.tasks) {
    const working = t.status === "in_progress" || t.status === "validating";
    const detail = [
      t.status === "failed" ? "paused, waiting for a decision" : t.status.replace(/_/g, " "),
      working && t.attempt ? `attempt ${t.attempt} of ${t.maxAttempts ?? "?"}` : undefined,
      working ? c.gate.get(t.key) : undefined,
      t.note ?? undefined,
    ].filter(Boolean);
    lines.push(
      `      ${TASK_ICON[t.status] ?? "•"} *${esc(t.key)}* ${esc(truncate(t.title, 80))} — _${esc(detail.join(" · "))}_`,
    );
  }
  return lines;
}

const ICON: Record<StepState, string> = {
  pending: ":white_large_square:",
  queued: ":hourglass:",
  running: ":hourglass_flowing_sand:",
  waiting: ":raised_hand:",
  done: ":white_check_mark:",
  failed: ":x:",
  cancelled: ":no_entry_sign:",
};

const NOTE: Partial<Record<StepState, string>> = {
  queued: "queued",
  running: "running",
  waiting: "waiting for a decision in the thread",
  failed: "failed",
  cancelled: "cancelled",
};

export function checklistText(c: Checklist): string {
  return FLOWS.build
    .map((p) => {
      const state = c.steps[p];
      const notes = [NOTE[state]];
      if (state === "running" && c.retrying) notes.push(c.retrying);
      if (state === "running" && c.modelWait) notes.push(c.modelWait);
      const note = notes.filter(Boolean).join(" · ");
      const line = `${ICON[state]} ${PHASE_TITLES[p]}${note ? ` — _${note}_` : ""}`;
      const live = p === "implementation" && ["running", "waiting"].includes(state);
      return live ? [line, ...boardLines(c)].join("\n") : line;
    })
    .join("\n");
}
