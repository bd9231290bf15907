/**
 * Block Kit's documented limits, as the fake Slack enforces them. Each
 * problem is reported the way Slack does, with a JSON pointer.
 */
type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function textObject(v: unknown, at: string, max: number, kinds: string[], out: string[]): void {
  if (!isObj(v) || typeof v.text !== "string" || !kinds.includes(String(v.type))) {
    out.push(`must be a ${kinds.join(" or ")} text object [json-pointer:${at}]`);
    return;
  }
  if (v.text.length === 0) out.push(`must be more than 0 characters [json-pointer:${at}/text]`);
  if (v.text.length > max)
    out.push(`must be less than ${max + 1} characters [json-pointer:${at}/text]`);
}

function buttonElement(e: Json, at: string, out: string[], ids: Set<string>): void {
  textObject(e.text, `${at}/text`, 75, ["plain_text"], out);
  if (typeof e.value === "string" && e.value.length > 2000)
    out.push(`must be less than 2001 characters [json-pointer:${at}/value]`);
  if (typeof e.url === "string" && e.url.length > 3000)
    out.push(`must be less than 3001 characters [json-pointer:${at}/url]`);
  if (e.style !== undefined && e.style !== "primary" && e.style !== "danger")
    out.push(`must be primary or danger [json-pointer:${at}/style]`);
  if (typeof e.action_id === "string") {
    if (e.action_id.length > 255)
      out.push(`must be less than 256 characters [json-pointer:${at}/action_id]`);
    if (ids.has(e.action_id)) out.push(`action_id must be unique [json-pointer:${at}/action_id]`);
    ids.add(e.action_id);
  }
  if (e.confirm !== undefined) {
    const c = e.confirm as Json;
    textObject(c.title, `${at}/confirm/title`, 100, ["plain_text"], out);
    textObject(c.text, `${at}/confirm/text`, 300, ["plain_text", "mrkdwn"], out);
    textObject(c.confirm, `${at}/confirm/confirm`, 30, ["plain_text"], out);
    textObject(c.deny, `${at}/confirm/deny`, 30, ["plain_text"], out);
  }
}

function block(b: unknown, at: string, surface: string, out: string[], ids: Set<string>): void {
  if (!isObj(b)) {
    out.push(`must be an object [json-pointer:${at}]`);
    return;
  }
  if (typeof b.block_id === "string") {
    if (b.block_id.length > 255)
      out.push(`must be less than 256 characters [json-pointer:${at}/block_id]`);
    if (ids.has(`block:${b.block_id}`))
      out.push(`block_id must be unique [json-pointer:${at}/block_id]`);
    ids.add(`block:${b.block_id}`);
  }
  switch (b.type) {
    case "section": {
      if (b.text === undefined && b.fields === undefined)
        out.push(`must provide text or fields [json-pointer:${at}]`);
      if (b.text !== undefined)
        textObject(b.text, `${at}/text`, 3000, ["plain_text", "mrkdwn"], out);
      if (b.fields !== undefined) {
        const f = Array.isArray(b.fields) ? b.fields : [];
        if (f.length === 0 || f.length > 10)
          out.push(`must provide 1 to 10 items [json-pointer:${at}/fields]`);
        for (const [i, x] of f.entries())
          textObject(x, `${at}/fields/${i}`, 2000, ["plain_text", "mrkdwn"], out);
      }
      return;
    }
    case "header":
      textObject(b.text, `${at}/text`, 150, ["plain_text"], out);
      return;
    case "divider":
      return;
    case "context": {
      const els = Array.isArray(b.elements) ? b.elements : [];
      if (els.length === 0 || els.length > 10)
        out.push(`must provide 1 to 10 items [json-pointer:${at}/elements]`);
      for (const [i, x] of els.entries())
        textObject(x, `${at}/elements/${i}`, 3000, ["plain_text", "mrkdwn"], out);
      return;
    }
    case "actions": {
      const els = Array.isArray(b.elements) ? b.elements : [];
      if (els.length === 0 || els.length > 25)
        out.push(`must provide 1 to 25 items [json-pointer:${at}/elements]`);
      els.forEach((x, i) => {
        if (isObj(x) && x.type === "button") buttonElement(x, `${at}/elements/${i}`, out, ids);
        else out.push(`unsupported element type [json-pointer:${at}/elements/${i}]`);
      });
      return;
    }
    case "input": {
      if (surface === "message") {
        out.push(`input blocks are not allowed in messages [json-pointer:${at}]`);
        return;
      }
      textObject(b.label, `${at}/label`, 2000, ["plain_text"], out);
      const el = b.element as Json | undefined;
      if (!isObj(el) || el.type !== "plain_text_input")
        out.push(`unsupported element [json-pointer:${at}/element]`);
      else if (typeof el.max_length === "number" && el.max_length > 3000)
        out.push(`must be at most 3000 [json-pointer:${at}/element/max_length]`);
      return;
    }
    default:
      out.push(`unsupported type \`${String(b.type)}\` [json-pointer:${at}/type]`);
  }
}

export function validateBlocks(blocks: unknown, surface: "message" | "modal" | "home"): string[] {
  const out: string[] = [];
  if (!Array.isArray(blocks)) return ["must be an array [json-pointer:/blocks]"];
  const max = surface === "message" ? 50 : 100;
  if (blocks.length > max) out.push(`no more than ${max} items allowed [json-pointer:/blocks]`);
  const ids = new Set<string>();
  for (const [i, b] of blocks.entries()) block(b, `/blocks/${i}`, surface, out, ids);
  return out;
}

export function validateView(view: unknown, kind: "modal" | "home"): string[] {
  if (!isObj(view) || view.type !== kind)
    return [`view type must be ${kind} [json-pointer:/view/type]`];
  const out = validateBlocks(view.blocks, kind);
  if (kind === "modal") {
    textObject(view.title, "/view/title", 24, ["plain_text"], out);
    if (view.submit !== undefined) textObject(view.submit, "/view/submit", 24, ["plain_text"], out);
    if (view.close !== undefined) textObject(view.close, "/view/close", 24, ["plain_text"], out);
    if (typeof view.private_metadata === "string" && view.private_metadata.length > 3000)
      out.push("must be less than 3001 characters [json-pointer:/view/private_metadata]");
    if (typeof view.callback_id === "string" && view.callback_id.length > 255)
      out.push("must be less than 256 characters [json-pointer:/view/callback_id]");
  }
  return out;
}
