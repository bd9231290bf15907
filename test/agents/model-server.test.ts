import { describe, expect, it } from "vitest";
import {
  API_VERSION,
  lastToolResults,
  type MessagesRequest,
  type ModelServer,
  promptText,
  roleOf,
  submit,
  text,
  toolUse,
  turnIndex,
} from "../support/fake-anthropic.ts";
import { KEY, MODEL, serve } from "./helpers.ts";

const headers = {
  authorization: `Bearer ${KEY}`,
  "anthropic-version": API_VERSION,
  "content-type": "application/json",
};

async function post(server: ModelServer, body: unknown, h: Record<string, string> = headers) {
  const res = await fetch(`${server.url}/v1/messages`, {
    method: "POST",
    headers: h,
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    json: (await res.json()) as Record<string, unknown> & {
      error?: { type: string; message: string };
    },
  };
}

const hello = { model: MODEL, max_tokens: 100, messages: [{ role: "user", content: "hello" }] };
const useThenNothing = {
  ...hello,
  messages: [
    { role: "user", content: "list files" },
    {
      role: "assistant",
      content: [{ type: "tool_use", id: "toolu_1", name: "list_files", input: {} }],
    },
    { role: "user", content: [{ type: "text", text: "go on" }] },
  ],
};

describe("recorded model server", () => {
  it("answers a valid request with a full Message", async () => {
    const server = await serve(() => ({
      content: [text("hi"), toolUse("list_files", { path: "." })],
    }));
    const { status, json } = await post(server, hello);
    expect(status).toBe(200);
    expect(json).toMatchObject({
      type: "message",
      role: "assistant",
      model: MODEL,
      stop_reason: "tool_use",
    });
    expect(json.id).toMatch(/^msg_/);
    const content = json.content as { type: string; id?: string }[];
    expect(content[0]).toMatchObject({ type: "text", text: "hi" });
    expect(content[1]?.id).toMatch(/^toolu_/);
    expect(json.usage).toMatchObject({
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
    expect((json.usage as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
  });

  it("rejects a tool_use without a tool_result in the next message", async () => {
    const server = await serve(() => ({ content: [text("never")] }));
    const { status, json } = await post(server, useThenNothing);
    expect(status).toBe(400);
    expect(json.type).toBe("error");
    expect(json.error?.type).toBe("invalid_request_error");
    expect(json.error?.message).toContain("toolu_1");
  });

  it("rejects a tool_result that answers no tool_use, and a duplicate answer", async () => {
    const server = await serve(() => ({ content: [text("never")] }));
    const stray = await post(server, {
      ...hello,
      messages: [
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x", content: "?" }] },
      ],
    });
    expect(stray.status).toBe(400);
    expect(stray.json.error?.message).toContain("unexpected `tool_use_id`");
    const result = { type: "tool_result", tool_use_id: "toolu_1", content: "a.ts" };
    const twice = await post(server, {
      ...useThenNothing,
      messages: [
        ...useThenNothing.messages.slice(0, 2),
        { role: "user", content: [result, result] },
      ],
    });
    expect(twice.status).toBe(400);
  });

  it.each(["temperature", "top_p", "top_k"])("rejects the sampling parameter %s", async (param) => {
    const server = await serve(() => ({ content: [text("never")] }));
    const { status, json } = await post(server, { ...hello, [param]: 0.5 });
    expect(status).toBe(400);
    expect(json.error?.message).toContain(param);
  });

  it("requires Bearer auth with the right key and the API version header", async () => {
    const server = await serve(() => ({ content: [text("never")] }));
    const apiKeyOnly = await post(server, hello, {
      "x-api-key": KEY,
      "anthropic-version": API_VERSION,
    });
    expect(apiKeyOnly.status).toBe(401);
    expect(apiKeyOnly.json.error?.type).toBe("authentication_error");
    const wrong = await post(server, hello, {
      ...headers,
      authorization: "Bearer sk-ant-nope-000000",
    });
    expect(wrong.status).toBe(401);
    const oldVersion = await post(server, hello, { ...headers, "anthropic-version": "2023-06-01" });
    expect(oldVersion.status).toBe(400);
    expect(oldVersion.json.error?.message).toContain("anthropic-version");
  });

  it("requires model, max_tokens and messages, and at most four cache breakpoints", async () => {
    const server = await serve(() => ({ content: [text("ok")] }));
    expect((await post(server, { ...hello, model: undefined })).status).toBe(400);
    expect((await post(server, { ...hello, max_tokens: undefined })).status).toBe(400);
    expect((await post(server, { ...hello, messages: [] })).status).toBe(400);
    const cached = { type: "text", text: "x", cache_control: { type: "ephemeral" } };
    const five = await post(server, {
      ...hello,
      messages: [{ role: "user", content: Array(5).fill(cached) }],
    });
    expect(five.status).toBe(400);
    expect(five.json.error?.message).toContain("maximum of 4");
    const four = await post(server, {
      ...hello,
      messages: [{ role: "user", content: Array(4).fill(cached) }],
    });
    expect(four.status).toBe(200);
  });

  it("serves the failures it is told to, with the API's error types", async () => {
    const server = await serve(() => ({ content: [text("ok")] }));
    server.failNext(429);
    server.failNext(529);
    const res = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers,
      body: JSON.stringify(hello),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("0");
    const overloaded = await post(server, hello);
    expect(overloaded.status).toBe(529);
    expect(overloaded.json.error?.type).toBe("overloaded_error");
    expect((await post(server, hello)).status).toBe(200);
    expect(server.requests).toHaveLength(3);
  });

  it("simulates prompt caching: a prefix is written once and read afterwards", async () => {
    const server = await serve(() => ({ content: [text("ok")] }));
    const body = {
      ...hello,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "ctx ".repeat(500), cache_control: { type: "ephemeral" } },
            { type: "text", text: "q1" },
          ],
        },
      ],
    };
    const first = (await post(server, body)).json.usage as Record<string, number>;
    expect(first.cache_creation_input_tokens).toBeGreaterThan(400);
    expect(first.cache_read_input_tokens).toBe(0);
    const second = (await post(server, body)).json.usage as Record<string, number>;
    expect(second.cache_read_input_tokens).toBe(first.cache_creation_input_tokens);
    expect(second.cache_creation_input_tokens).toBe(0);
  });

  it("offers helpers that read the conversation", () => {
    const req = {
      model: MODEL,
      max_tokens: 10,
      system: "You judge. [paul-role: judge-risk]",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "context" },
            { type: "text", text: "task" },
          ],
        },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "t1", name: "view_file", input: {} }],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "t1", content: "file text", is_error: true },
          ],
        },
      ],
    } as MessagesRequest;
    expect(roleOf(req)).toBe("judge-risk");
    expect(roleOf({ ...req, system: [{ type: "text", text: "[paul-role: coder]" }] })).toBe(
      "coder",
    );
    expect(roleOf({ ...req, system: "no marker" })).toBeUndefined();
    expect(turnIndex(req)).toBe(1);
    expect(promptText(req)).toBe("context\ntask");
    expect(lastToolResults(req)).toEqual([
      { id: "t1", name: "view_file", content: "file text", isError: true },
    ]);
    expect(submit({ a: 1 })).toEqual({ type: "tool_use", name: "submit_result", input: { a: 1 } });
  });
});
