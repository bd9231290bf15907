import { createInterface, type Interface } from "node:readline";
import { type CtaRow, type Decision, DecisionSchema } from "../db/ctas.ts";

/** Answers a CTA: a person at the prompt, or the flags given on the command line. */
export type Answerer = (cta: CtaRow) => Promise<Decision | "leave">;

export interface AutoAnswers {
  yes: boolean;
  approach?: number | undefined;
}

/**
 * --yes approves and picks --approach (default 1). A failed review or a paused
 * implementation is never decided automatically: the run is left waiting.
 */
export function autoAnswer(a: AutoAnswers, cta: CtaRow): Decision | "leave" | undefined {
  if (cta.kind === "choice" && a.approach !== undefined)
    return { action: "choose", approach: a.approach - 1 };
  if (!a.yes) return undefined;
  if (cta.kind === "approval" || cta.kind === "create_pr") return { action: "approve" };
  if (cta.kind === "choice") return { action: "choose", approach: 0 };
  return "leave";
}

/** Reads answers line by line from stdin, whether a terminal or a pipe. */
export class LineReader {
  private rl: Interface;
  private lines: string[] = [];
  private waiting: ((l: string | undefined) => void) | undefined;
  private closed = false;

  private output: NodeJS.WritableStream;

  constructor(input: NodeJS.ReadableStream, output: NodeJS.WritableStream) {
    this.output = output;
    this.rl = createInterface({ input, terminal: false });
    this.rl.on("line", (l) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(l);
      } else this.lines.push(l);
    });
    this.rl.on("close", () => {
      this.closed = true;
      this.waiting?.(undefined);
    });
  }

  async question(q: string): Promise<string | undefined> {
    this.output.write(q);
    const queued = this.lines.shift();
    if (queued !== undefined) return queued;
    if (this.closed) return undefined;
    return new Promise((r) => {
      this.waiting = r;
    });
  }

  close(): void {
    this.rl.close();
  }
}

const KEYS: Record<string, Decision["action"]> = {
  a: "approve",
  approve: "approve",
  y: "approve",
  yes: "approve",
  r: "revise",
  revise: "revise",
  c: "cancel",
  cancel: "cancel",
  g: "regenerate",
  regenerate: "regenerate",
  o: "choose_another",
  other: "choose_another",
  v: "override",
  override: "override",
  retry: "retry",
  s: "skip",
  skip: "skip",
};

export function terminalAnswerer(
  reader: LineReader,
  auto: AutoAnswers,
  out: (s: string) => void,
): Answerer {
  return async (cta) => {
    const preset = autoAnswer(auto, cta);
    if (preset !== undefined) {
      out(
        `  (answered by flags: ${preset === "leave" ? "left for a person to decide" : preset.action})\n`,
      );
      return preset;
    }
    const labels = cta.options.map((o) => o.label).join(" / ");
    for (;;) {
      const raw = await reader.question(`? ${cta.prompt}\n  ${labels}\n> `);
      if (raw === undefined) return "leave";
      const a = raw.trim().toLowerCase();
      const n = Number.parseInt(a, 10);
      if (
        cta.kind === "choice" &&
        Number.isInteger(n) &&
        cta.options.some((o) => o.approach === n - 1)
      ) {
        return { action: "choose", approach: n - 1 };
      }
      const action = cta.kind === "pause" && a === "r" ? "retry" : KEYS[a];
      if (action && cta.options.some((o) => o.action === action)) {
        if (action === "revise" || action === "regenerate") {
          const fb = (await reader.question("  What should change? ")) ?? "";
          if (action === "revise" && !fb.trim()) {
            out("  Feedback can't be empty for a revision; try again.\n");
            continue;
          }
          return action === "revise"
            ? { action, feedback: fb.trim() }
            : { action, feedback: fb.trim() };
        }
        // Parsed, not asserted: "choose" needs an approach number, so the letter alone is not a decision.
        const plain = DecisionSchema.safeParse({ action });
        if (plain.success) return plain.data;
      }
      out(
        `  "${raw}" is not one of: ${labels}. Type the first letter${cta.kind === "choice" ? " or an approach number" : ""}.\n`,
      );
    }
  };
}
