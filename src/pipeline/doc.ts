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
  | { mark: Mark };
export type Mark = "pass" | "warn" | "fail";

/** A line of text made of spans. */
export type Line = Span[];

/** A titled bulleted list; an empty list is drawn as "none". */
export interface List {
  title: string;
  items: Line[];
}

/** A part of a section: a line of text, or a list. */
export type Part = Line | List;

export interface Section {
  /** A section with a title is set apart; an untitled one reads as a paragraph. */
  title?: string;
  parts: Part[];
}

export interface Doc {
  /** What the phase found or decided, read first. */
  summary: Line;
  sections: Section[];
}

export const code = (s: string): Span => ({ code: s });
export const strong = (s: string): Span => ({ strong: s });
export const mark = (m: Mark): Span => ({ mark: m });
export const link = (url: string, label?: string): Span =>
  label === undefined ? { link: url } : { link: url, label };
export const list = (title: string, items: Line[]): List => ({ title, items });
/** Spans joined with a separator: `a, b, c` with each item its own span. */
export function joined(items: Span[], sep: string): Line {
  return items.flatMap((s, i) => (i === 0 ? [s] : [sep, s]));
}

export function isList(p: Part): p is List {
  return !Array.isArray(p);
}

const MARK_TEXT: Record<Mark, string> = { pass: "✓", warn: "!", fail: "✗" };

/** A line's text with no markup: for terminals, logs and notification text. */
export function plainText(line: Line): string {
  return line
    .map((s) => {
      if (typeof s === "string") return s;
      if ("code" in s) return s.code;
      if ("strong" in s) return s.strong;
      if ("link" in s) return s.label ? `${s.label} (${s.link})` : s.link;
      return MARK_TEXT[s.mark];
    })
    .join("");
}
