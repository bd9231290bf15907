import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createModelClient, runAgent, toModelError } from "../../src/agents/index.ts";
import { type ModelServer, submit } from "../support/fake-anthropic.ts";
import { clientFor, KEY, MODEL, recordingSink, serve } from "./helpers.ts";

const Output = z.object({ summary: z.string() });
const answer = () => ({ content: [submit({ summary: "done" })] });

function run(server: ModelServer, client = clientFor(server)) {
  return runAgent({
    client,
    model: MODEL,
    role: "judge",
    system: "[paul-role: judge]",
    context: "ctx",
    prompt: "judge it",
    tools: [],
    output: Output,
    usage: recordingSink().sink,
  });
}

describe("model client", () => {
  it("authenticates with Bearer and the API version the server requires", async () => {
    const server = await serve(answer);
    const r = await run(server);
    expect(r.ok).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it("maps 401 to model_auth without retrying and without echoing the key", async () => {
    const server = await serve(answer);
    const wrongKey = "sk-ant-wrong-key-9876543210";
    const r = await run(server, clientFor(server, { key: wrongKey }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("model_auth");
    expect(r.error.retryable).toBe(false);
    expect(r.error.hint).toContain("ANTHROPIC_API_KEY");
    expect(r.error.toUserText()).not.toContain(wrongKey);
    expect(server.requests).toHaveLength(1);
  });

  it("retries 429 and then succeeds", async () => {
    const server = await serve(answer);
    server.failNext(429, 2);
    const r = await run(server);
    expect(r.ok).toBe(true);
    expect(server.requests).toHaveLength(3);
  });

  it("retries 529 with the SDK's own backoff and then succeeds", async () => {
    const server = await serve(answer);
    server.failNext(529, 2);
    const client = createModelClient({ apiKey: KEY, baseURL: server.url, maxRetries: 3 });
    const started = Date.now();
    const r = await run(server, client);
    expect(r.ok).toBe(true);
    expect(server.requests).toHaveLength(3);
    // Two backoffs of roughly 0.5 s and 1 s (with jitter) happened.
    expect(Date.now() - started).toBeGreaterThan(800);
  });

  it("maps persistent 529 to model_overloaded once retries run out", async () => {
    const server = await serve(answer);
    server.failNext(529, 5);
    const r = await run(server, clientFor(server, { maxRetries: 1 }));
    expect(!r.ok && r.error.code).toBe("model_overloaded");
    expect(!r.ok && r.error.retryable).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it("maps persistent 429 to model_rate_limited and 500 to model_unavailable", async () => {
    const server = await serve(answer);
    server.failNext(429, 2);
    const limited = await run(server, clientFor(server, { maxRetries: 1 }));
    expect(!limited.ok && limited.error.code).toBe("model_rate_limited");
    server.failNext(500, 2);
    const failed = await run(server, clientFor(server, { maxRetries: 1 }));
    expect(!failed.ok && failed.error.code).toBe("model_unavailable");
    expect(server.requests).toHaveLength(4);
  });

  it("maps an unreachable API to model_unavailable", async () => {
    const server = await serve(answer);
    const url = server.url;
    await server.close();
    const client = createModelClient({ apiKey: KEY, baseURL: url, maxRetries: 0 });
    const r = await run(server, client);
    expect(!r.ok && r.error.code).toBe("model_unavailable");
  });

  it("maps a 400 to internal with the API's message", async () => {
    const server = await serve(answer);
    const client = clientFor(server);
    const e = await client.messages
      .create({ model: MODEL, max_tokens: 10, messages: [{ role: "assistant", content: "hi" }] })
      .catch((err: unknown) => err);
    const pe = toModelError(e, client.apiKey);
    expect(pe.code).toBe("internal");
    expect(pe.message).toContain("the first message must use the user role");
    expect(pe.message).not.toContain(KEY);
  });
});
