import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type AgentEvent,
  createModelClient,
  type ModelClientConfig,
  runAgent,
  toModelError,
} from "../../src/agents/index.ts";
import { API_VERSION, type ModelServer, submit, text, toolUse } from "../support/fake-anthropic.ts";
import { KEY, MODEL, recordingSink, serve } from "./helpers.ts";

const Output = z.object({ summary: z.string(), files: z.array(z.string()) });
const LONG = "a".repeat(300);
const answer = () => ({
  content: [text(`Looked around. ${LONG}`), submit({ summary: `done ${LONG}`, files: ["x.ts"] })],
});

/** A client watched closely: 0.3 s of silence aborts a try, waiting is told every 0.1 s. */
function watched(server: ModelServer, o: Partial<ModelClientConfig> = {}) {
  return createModelClient({
    apiKey: KEY,
    baseURL: server.url,
    maxRetries: 2,
    retryDelayMs: 5,
    idleMs: 300,
    waitNoticeMs: 100,
    timeoutMs: 10_000,
    ...o,
  });
}

async function run(server: ModelServer, client = watched(server)) {
  const events: AgentEvent[] = [];
  const usage = recordingSink();
  const r = await runAgent({
    client,
    model: MODEL,
    role: "analysis",
    system: "[paul-role: analysis]",
    context: "ctx",
    prompt: "look",
    tools: [],
    output: Output,
    usage: usage.sink,
    onEvent: (e) => events.push(e),
  });
  return { r, events, records: usage.records };
}

describe("streamed model calls", () => {
  it("speak the API's event stream: message_start, pings, deltas, message_delta with usage, message_stop", async () => {
    const server = await serve(() => ({
      content: [text(LONG), toolUse("list_files", { path: "src", deep: { n: [1, 2, 3] } })],
    }));
    const res = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${KEY}`,
        "anthropic-version": API_VERSION,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        model: MODEL,
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const frames = (await res.text()).split("\n\n").filter(Boolean);
    const events = frames.map((f) => {
      const [ev, data] = f.split("\n");
      const parsed = JSON.parse(data!.replace(/^data: /, "")) as { type: string } & Record<
        string,
        unknown
      >;
      expect(ev).toBe(`event: ${parsed.type}`);
      return parsed;
    });
    const kinds = events.map((e) => e.type);
    expect(kinds[0]).toBe("message_start");
    expect(kinds).toContain("ping");
    expect(kinds.slice(-2)).toEqual(["message_delta", "message_stop"]);
    // Text and tool input come in several pieces, the tool input as partial JSON.
    expect(kinds.filter((k) => k === "content_block_delta").length).toBeGreaterThan(4);
    const json = events
      .filter((e) => e.type === "content_block_delta")
      .map((e) => e.delta as { type: string; partial_json?: string })
      .filter((d) => d.type === "input_json_delta")
      .map((d) => d.partial_json)
      .join("");
    expect(JSON.parse(json)).toEqual({ path: "src", deep: { n: [1, 2, 3] } });
    const delta = events.at(-2) as unknown as {
      delta: { stop_reason: string };
      usage: Record<string, number>;
    };
    expect(delta.delta.stop_reason).toBe("tool_use");
    expect(delta.usage.output_tokens).toBeGreaterThan(0);
    expect(delta.usage.input_tokens).toBeGreaterThan(0);
  });

  it("are put back together by the SDK: text, tool input and usage arrive whole", async () => {
    const server = await serve(answer);
    const { r, records, events } = await run(server);
    expect(r.ok && r.output).toEqual({ summary: `done ${LONG}`, files: ["x.ts"] });
    expect(events.some((e) => e.kind === "text" && e.text === `Looked around. ${LONG}`)).toBe(true);
    expect(server.requests[0]?.stream).toBe(true);
    expect(records).toHaveLength(1);
    expect(records[0]!.inputTokens).toBeGreaterThan(0);
    expect(records[0]!.outputTokens).toBeGreaterThan(0);
    expect(records[0]!.cacheWriteTokens).toBeGreaterThan(0);
    // A quick answer is no wait worth telling anyone about.
    expect(events.filter((e) => e.kind === "waiting")).toEqual([]);
  });

  it("abort a server that accepts and never answers, and try again", async () => {
    const server = await serve(answer);
    server.faultNext({ kind: "hang" }, 2);
    const { r, events } = await run(server);
    expect(r.ok).toBe(true);
    expect(server.requests).toHaveLength(3);
    // Each silent try lasted 0.3 s, so the 0.1 s notices came while waiting.
    const waits = events.filter((e) => e.kind === "waiting");
    expect(waits.length).toBeGreaterThan(0);
  });

  it("give up after three silent tries with a retryable error that names the URL tried, not the key", async () => {
    const server = await serve(answer);
    server.faultAlways({ kind: "hang" });
    const { r } = await run(server);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("model_unavailable");
    expect(r.error.retryable).toBe(true);
    expect(r.error.message).toBe(
      `The Anthropic API at ${server.url} sent nothing for 0.3 s, 3 times in a row.`,
    );
    expect(r.error.hint).toContain("PAUL_MODEL_IDLE_SECONDS");
    expect(r.error.toUserText()).not.toMatch(/will (try|retry)/);
    expect(r.error.toUserText()).not.toContain(KEY);
    expect(server.requests).toHaveLength(3);
  });

  it("abort a stream that stalls mid-answer, and try again", async () => {
    const server = await serve(answer);
    server.faultNext({ kind: "stall", afterEvents: 4 });
    const { r } = await run(server);
    expect(r.ok && r.output.files).toEqual(["x.ts"]);
    expect(server.requests).toHaveLength(2);
  });

  it("retry a connection reset before the answer (the SDK) and in the middle of one (Paul)", async () => {
    const server = await serve(answer);
    server.faultNext({ kind: "reset" });
    server.faultNext({ kind: "reset", midStream: true });
    const { r } = await run(server);
    expect(r.ok).toBe(true);
    expect(server.requests).toHaveLength(3);
  });

  it("count pings as signs of life, and stop a try that never finishes at the overall timeout", async () => {
    const server = await serve(answer);
    server.faultAlways({ kind: "trickle" });
    const { r } = await run(server, watched(server, { timeoutMs: 1000, idleTries: 2 }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    // Pings every 0.1 s kept the 0.3 s idle timeout from firing: it was the 1 s cap.
    expect(r.error.message).toBe(
      `The Anthropic API at ${server.url} did not finish an answer within 1 s, 2 times in a row.`,
    );
    expect(server.requests).toHaveLength(2);
  });

  it("name the URL tried when the API can't be reached", async () => {
    const server = await serve(answer);
    const url = server.url;
    await server.close();
    const client = watched(server, { baseURL: url, maxRetries: 1 });
    const { r } = await run(server, client);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("model_unavailable");
    expect(r.error.message).toContain(`Could not reach the Anthropic API at ${url} after 1 retry`);
    expect(r.error.toUserText()).not.toContain(KEY);
    expect(toModelError(r.error)).toBe(r.error);
  });
});
