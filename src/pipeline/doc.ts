/**
 * A phase's output as a small neutral document. Each phase renders its output
 * to one of these; every face (terminal, Slack, …) draws documents its own
 * way, so a phase needs no code in any face and a face none per phase.
 */
export type Span =
  | string
  | { code: string }
  | { strong: string }
  | { link: string; label?: string }
  /** A verdict or check mark: faces draw their own symbol for it. */
  | { mark: "pass" | "warn" | "fail" };

/** A line of text made of spans. */
export type Line = Span[];

export interface Section {
  /** Shown above the section; an untitled section follows the previous one. */
  title?: string;
  /** Paragraph lines, drawn in order. */
  lines?: Line[];
  /** A bulleted list; an empty list is drawn as "(none)". */
  items?: Line[];
}

export interface Doc {
  /** One or two lines read first: what the phase found or decided. */
  summary: Line;
  sections: Section[];
}

export const code = (s: string): Span => ({ code: s });
export const strong = (s: string): Span => ({ strong: s });
export const mark = (m: "pass" | "warn" | "fail"): Span => ({ mark: m });
export const link = (url: string, label?: string): Span =>
  label === undefined ? { link: url } : { link: url, label };

/** The document's text with no markup: for logs, notifications and tests. */
export function plainText(line: Line): string {
  return line
    .map((s) =>
      typeof s === "string"
        ? s
        : "code" in s
          ? s.code
          : "strong" in s
            ? s.strong
            : "link" in s
              ? (s.label ?? s.link)
              : s.mark === "pass"
                ? "✓"
                : s.mark === "warn"
                  ? "!"
                  : "✗",
    )
    .join("");
}
