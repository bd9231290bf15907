import type { Block, FakeMessage } from "../support/fake-slack.ts";

/** A thread as a person would read it, for assertions and for the record. */
export function renderMessage(m: FakeMessage): string {
  if (m.blocks.length === 0) return m.text;
  return m.blocks.map(renderBlock).join("\n");
}

function textOf(t: unknown): string {
  return typeof t === "object" && t !== null && "text" in t
    ? String((t as { text: unknown }).text)
    : "";
}

function renderBlock(b: Block): string {
  switch (b.type) {
    case "header":
      return `# ${textOf(b.text)}`;
    case "section":
      return [
        textOf(b.text),
        ...((b.fields as unknown[] | undefined) ?? []).map((f) => textOf(f).replace(/\n/g, ": ")),
      ]
        .filter(Boolean)
        .join("\n");
    case "context":
      return ((b.elements as unknown[]) ?? []).map((e) => `(${textOf(e)})`).join(" ");
    case "actions":
      return ((b.elements as unknown[]) ?? [])
        .map((e) => `[${textOf((e as { text: unknown }).text)}]`)
        .join(" ");
    case "divider":
      return "───";
    default:
      return `<${String(b.type)}>`;
  }
}

export function renderThread(msgs: FakeMessage[]): string {
  return msgs
    .map((m, i) => {
      const head = `${i === 0 ? "ROOT" : `reply ${i}`} ts=${m.ts}${m.updates ? ` (updated ${m.updates}×)` : ""}`;
      return `── ${head}\n${renderMessage(m)}`;
    })
    .join("\n\n");
}

/** Everything a thread says, one string, for "is it there" checks. */
export function threadText(msgs: FakeMessage[]): string {
  return msgs.map(renderMessage).join("\n");
}
