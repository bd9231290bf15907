import type Anthropic from "@anthropic-ai/sdk";
import { z } from "zod";
import { invariant } from "../errors.ts";

type Msg = Anthropic.Messages.MessageParam;
type BlockParam = Anthropic.Messages.ContentBlockParam;

export const SUBMIT_TOOL = "submit_result";

/** The structured-output tool: its input schema is the phase's zod schema. */
export function submitToolDefinition(schema: z.ZodType): Anthropic.Messages.Tool {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  const { $schema: _drop, ...inputSchema } = json;
  invariant(
    inputSchema.type === "object",
    `runAgent output schema must be a z.object, got JSON schema type ${String(inputSchema.type)}`,
  );
  return {
    name: SUBMIT_TOOL,
    description:
      "Submit your final result. Call this exactly once, when you are done, with input matching the schema. " +
      "If the input is invalid you get the validation errors back and must call it again.",
    input_schema: { ...inputSchema, type: inputSchema.type },
  };
}

/** Response blocks become request blocks; only what the API accepts back is kept. */
export function toParams(content: Anthropic.Messages.ContentBlock[]): BlockParam[] {
  const out: BlockParam[] = [];
  for (const b of content) {
    if (b.type === "text") out.push({ type: "text", text: b.text });
    else if (b.type === "tool_use")
      out.push({ type: "tool_use", id: b.id, name: b.name, input: b.input });
    else if (b.type === "thinking")
      out.push({ type: "thinking", thinking: b.thinking, signature: b.signature });
    else if (b.type === "redacted_thinking") out.push({ type: "redacted_thinking", data: b.data });
  }
  return out;
}

/**
 * A copy of the conversation with one moving cache breakpoint on its last
 * block, so each turn reads the previous turn's prefix from the cache. The
 * stored history stays free of it: the API allows only four breakpoints.
 */
export function withRollingCache(messages: Msg[]): Msg[] {
  if (messages.length < 2) return messages;
  const last = messages[messages.length - 1];
  if (last?.role !== "user" || typeof last.content === "string") return messages;
  const blocks = [...last.content];
  const tail = blocks[blocks.length - 1];
  if (!tail || !("type" in tail) || (tail.type !== "text" && tail.type !== "tool_result")) {
    return messages;
  }
  blocks[blocks.length - 1] = { ...tail, cache_control: { type: "ephemeral" } };
  return [...messages.slice(0, -1), { ...last, content: blocks }];
}

/** A zod error as a short list a model can act on. */
export function describeIssues(error: z.ZodError): string {
  return z.prettifyError(error);
}

export function summaryOf(output: unknown, fallback: string): string {
  if (output && typeof output === "object" && "summary" in output) {
    const s = output.summary;
    if (typeof s === "string" && s.trim()) return s;
  }
  return fallback;
}
