import { GATE_OUTPUT_MAX } from "../../gates/run.ts";
import type { AttemptRecord } from "./next-step.ts";
import type { PreviousAttempt } from "./prompt.ts";

/**
 * Turn a failure into explicit "do NOT repeat" lines for the next coder. The
 * lines name what went wrong concretely (the gate, the first errors) so a fresh
 * coder does not walk into the same wall.
 */
const ERROR_LINE = /(error|fail|✖|not ok|assert|expected|cannot find|undefined|exception|TS\d{4})/i;

export function doNotRepeat(f: {
  kind: string;
  gate?: string;
  output: string;
  filesTouched: string[];
}): string[] {
  const out: string[] = [];
  if (f.kind === "no_changes") out.push("finishing without changing any file");
  if (f.kind === "agent_error")
    out.push(`ending the attempt with an error (${firstLine(f.output)})`);
  if (f.kind === "merge_conflict") {
    out.push(
      `rewriting ${f.filesTouched.slice(0, 5).join(", ") || "the conflicting files"} from their old versions: build on the versions now on the feature branch`,
    );
  }
  if (f.gate) {
    out.push(`leaving the ${f.gate} gate failing`);
    const errors = f.output
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length > 3 && ERROR_LINE.test(l))
      .slice(0, 5);
    for (const e of errors) out.push(`the change that produced: ${e.slice(0, 200)}`);
  }
  if (f.filesTouched.length > 0 && f.gate) {
    out.push(
      `the same edits to ${f.filesTouched.slice(0, 5).join(", ")} without fixing the cause above`,
    );
  }
  return out;
}

function firstLine(s: string): string {
  return (s.split("\n").find((l) => l.trim()) ?? "").slice(0, 200);
}

/** What the next coder is told about the attempt before it. */
export function retryContext(a: AttemptRecord): PreviousAttempt | undefined {
  const base = { attemptNo: a.attemptNo, filesTouched: a.filesTouched, summary: a.summary };
  const o = a.outcome;
  if (o.kind === "passed" && o.review && !o.review.approved && !o.conflict) {
    return {
      ...base,
      failureKind: "review",
      failureOutput: "",
      doNotRepeat: [],
      reviewChanges: o.review.requiredChanges,
    };
  }
  const failure =
    o.kind !== "passed"
      ? o.failure
      : o.conflict
        ? { kind: "merge_conflict", output: o.conflict.output }
        : undefined;
  if (!failure) return undefined;
  const output = failure.output.slice(0, GATE_OUTPUT_MAX);
  return {
    ...base,
    failureKind: failure.kind,
    failureOutput: output,
    doNotRepeat: doNotRepeat({
      kind: failure.kind,
      ...(failure.gate ? { gate: failure.gate } : {}),
      output,
      filesTouched: a.filesTouched,
    }),
  };
}
