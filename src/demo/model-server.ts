/**
 * A local stand-in for the Anthropic Messages API: the "recorded model" of
 * `paul demo`, and the fake network edge of the tests. It speaks the wire
 * format (a JSON Message, or with `stream: true` the server-sent events the
 * SDK parses) and enforces the rules the real API enforces (Bearer auth, the
 * version header, no sampling parameters, a tool_result for every tool_use,
 * at most four cache breakpoints), so a client that passes here is not
 * passing by luck. Answers come from a script: `respond(req)`. Faults
 * (`faultNext`, `faultAlways`) break it the ways a real network and API break.
 *
 * Role marker convention: every Paul phase puts `[paul-role: <role>]` (for
 * example `[paul-role: analysis]`, `[paul-role: coder]`) in its system
 * prompt, so a script can tell the agents apart with `roleOf(req)`.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { buffer } from "node:stream/consumers";
import type Anthropic from "@anthropic-ai/sdk";
import { invariant, isRecord } from "../errors.ts";

export const API_VERSION = "2026-10-21";
export type MessagesRequest = Anthropic.Messages.MessageCreateParamsNonStreaming;
type Block = Anthropic.Messages.ContentBlockParam;
export type ScriptedBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; name: string; input: unknown; id?: string };
export interface ScriptedTurn {
  content: ScriptedBlock[];
  /** Default: tool_use when the turn has a tool_use, else end_turn. */
  stop_reason?: Anthropic.Messages.StopReason;
}
export type FailureStatus = 401 | 429 | 500 | 529;
/**
 * How a request can go wrong after the server has accepted it:
 * - `status`: the API answers with this error (`retryAfter` seconds as the real API sends it);
 * - `hang`: the connection stays open and nothing is ever sent;
 * - `stall`: a streamed answer starts (`afterEvents` events, default 3) and then nothing more comes;
 * - `reset`: the connection is cut, before any answer or (`midStream`) halfway through one;
 * - `trickle`: a stream that sends pings forever and never finishes.
 */
export type Fault =
  | { kind: "status"; status: FailureStatus; retryAfter?: number }
  | { kind: "hang" }
  | { kind: "stall"; afterEvents?: number }
  | { kind: "reset"; midStream?: boolean }
  | { kind: "trickle" };
export interface ModelServerOptions {
  apiKey: string;
  respond: (
    req: MessagesRequest,
    ctx: { callIndex: number },
  ) => ScriptedTurn | Promise<ScriptedTurn>;
  /** Default: any free port on 127.0.0.1. */
  port?: number;
  /** Failures to serve before anything else, as with failNext. */
  failures?: { status: FailureStatus; count?: number }[];
}
export interface ModelServer {
  /** Base URL for the SDK (`baseURL`). */
  url: string;
  /** Every JSON body POSTed to /v1/messages, in order, rejected and failed ones included. */
  requests: MessagesRequest[];
  /** When each of those arrived (performance.now()). */
  requestTimes: number[];
  /** When each answer began to be sent (performance.now()), faulted ones included. */
  answerTimes: number[];
  close(): Promise<void>;
  /** The next `count` requests (default 1) fail with this status, as the real API would answer. */
  failNext(status: FailureStatus, count?: number): void;
  /** The next `count` accepted requests (default 1) meet this fault. */
  faultNext(fault: Fault, count?: number): void;
  /** Every accepted request meets this fault until it is cleared with `null`; queued faults come first. */
  faultAlways(fault: Fault | null): void;
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  404: "not_found_error",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};
const FAILURE_MESSAGES: Record<FailureStatus, string> = {
  401: "invalid bearer token",
  429: "Number of request tokens has exceeded your per-minute rate limit",
  500: "Internal server error",
  529: "Overloaded",
};

class WireError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}
const bad = (message: string) => new WireError(400, message);

const blocksOf = (content: unknown): Block[] =>
  typeof content === "string"
    ? [{ type: "text", text: content }]
    : Array.isArray(content)
      ? content
      : [];
const idsOf = (blocks: Block[], type: "tool_use" | "tool_result") =>
  blocks.flatMap((b) =>
    b.type === "tool_use" && type === "tool_use"
      ? [b.id]
      : b.type === "tool_result" && type === "tool_result"
        ? [b.tool_use_id]
        : [],
  );

/** A message's fields, for the checks that look at its neighbours. */
const fieldsOf = (m: unknown): { role?: unknown; content?: unknown } => (isRecord(m) ? m : {});

/**
 * The checks the real API makes on what Paul sends: what passes is the request
 * as the client wrote it, with the fields the scripts and cacheUsage read.
 */
function validate(body: unknown): asserts body is MessagesRequest {
  if (!isRecord(body)) throw bad("request body must be a JSON object");
  const req = body;
  for (const p of ["temperature", "top_p", "top_k"]) {
    if (p in req)
      throw bad(`${p}: sampling parameters are not supported by anthropic-version ${API_VERSION}`);
  }
  if (typeof req.model !== "string" || !req.model) throw bad("model: Field required");
  if (
    typeof req.max_tokens !== "number" ||
    !Number.isInteger(req.max_tokens) ||
    req.max_tokens < 1
  ) {
    throw bad("max_tokens: Field required (a positive integer)");
  }
  if (req.stream !== undefined && typeof req.stream !== "boolean")
    throw bad("stream: Input should be a valid boolean");
  const messages = req.messages;
  if (!Array.isArray(messages) || messages.length === 0)
    throw bad("messages: Field required (at least one message)");
  if (messages[0]?.role !== "user")
    throw bad("messages.0.role: the first message must use the user role");
  let breakpoints = 0;
  const count = (x: unknown) => {
    if (x && typeof x === "object" && "cache_control" in x && x.cache_control) breakpoints++;
  };
  if (Array.isArray(req.tools)) req.tools.forEach(count);
  if (Array.isArray(req.system)) req.system.forEach(count);
  messages.forEach((m: { role?: unknown; content?: unknown }, i) => {
    if (m.role !== "user" && m.role !== "assistant")
      throw bad(`messages.${i}.role: must be user or assistant`);
    const blocks = blocksOf(m.content);
    blocks.forEach(count);
    if (m.role === "assistant") {
      const uses = idsOf(blocks, "tool_use");
      if (new Set(uses).size !== uses.length)
        throw bad(`messages.${i}: tool_use ids must be unique`);
      if (uses.length === 0) return;
      const next = fieldsOf(messages[i + 1]);
      const results = next.role === "user" ? idsOf(blocksOf(next.content), "tool_result") : [];
      const unanswered = uses.filter((id) => results.filter((r) => r === id).length !== 1);
      if (unanswered.length > 0) {
        throw bad(
          `messages.${i + 1}: \`tool_use\` ids were found without exactly one \`tool_result\` block immediately after: ${unanswered.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        );
      }
    } else {
      const prev = fieldsOf(messages[i - 1]);
      const known = prev.role === "assistant" ? idsOf(blocksOf(prev.content), "tool_use") : [];
      const stray = idsOf(blocks, "tool_result").filter((id) => !known.includes(id));
      if (stray.length > 0) {
        throw bad(
          `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${stray.join(", ")}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
        );
      }
    }
  });
  if (breakpoints > 4)
    throw bad(`A maximum of 4 blocks with cache_control may be provided. Found ${breakpoints}.`);
}

const estimate = (chars: number) => Math.ceil(chars / 4);

/** Prompt caching, simulated: a breakpoint's prefix is written on first sight and read after. */
function cacheUsage(req: MessagesRequest, seen: Set<string>) {
  const strip = (x: object) => JSON.stringify({ ...x, cache_control: undefined });
  const segments: { text: string; breakpoint: boolean }[] = [
    ...(req.tools ?? []).map((t) => ({ text: strip(t), breakpoint: !!t.cache_control })),
    ...(typeof req.system === "string"
      ? [{ text: req.system, breakpoint: false }]
      : (req.system ?? []).map((b) => ({ text: b.text, breakpoint: !!b.cache_control }))),
    ...req.messages.flatMap((m) =>
      blocksOf(m.content).map((b) => ({
        text: m.role + strip(b),
        breakpoint: "cache_control" in b && !!b.cache_control,
      })),
    ),
  ];
  // Writes happen at breakpoints; reads, as in the real API, match any earlier
  // block boundary, so a breakpoint that moved on still hits what it wrote.
  const last = segments.findLastIndex((s) => s.breakpoint);
  const hash = createHash("sha256").update(req.model);
  let chars = 0;
  let read = 0;
  let lastPrefix = 0;
  let lastKey: string | undefined;
  for (const [i, s] of segments.entries()) {
    if (i > last) break;
    hash.update(`\0${s.text}`);
    chars += s.text.length;
    const key = hash.copy().digest("hex");
    if (seen.has(key)) read = estimate(chars);
    if (!s.breakpoint) continue;
    lastKey = key;
    lastPrefix = estimate(chars);
    seen.add(key);
  }
  chars = segments.reduce((n, s) => n + s.text.length, 0);
  const created = lastKey !== undefined && lastPrefix > read ? lastPrefix - read : 0;
  return { read, created, input: Math.max(1, estimate(chars) - read - created) };
}

type Reply =
  | { kind: "json"; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: "stream"; message: WireMessage; fault: Fault | undefined }
  | { kind: "fault"; fault: Fault };

interface WireMessage {
  id: string;
  model: string;
  content: (
    | { type: "text"; text: string }
    | { type: "tool_use"; id: string; name: string; input: unknown }
  )[];
  stop_reason: Anthropic.Messages.StopReason;
  usage: ReturnType<typeof usageOf>;
}

function usageOf(cache: { read: number; created: number; input: number }, output: number) {
  return {
    input_tokens: cache.input,
    output_tokens: output,
    cache_creation_input_tokens: cache.created,
    cache_read_input_tokens: cache.read,
    cache_creation: { ephemeral_5m_input_tokens: cache.created, ephemeral_1h_input_tokens: 0 },
    inference_geo: null,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: "standard",
    speed: null,
  };
}

/** The full Message object, as a non-streaming answer (and message_start, emptied) carry it. */
function messageJson(m: WireMessage, content: unknown[], stop: string | null, output: number) {
  return {
    id: m.id,
    type: "message",
    role: "assistant",
    model: m.model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: { ...m.usage, output_tokens: output },
  };
}

const blockJson = (b: WireMessage["content"][number]) =>
  b.type === "text"
    ? { type: "text", text: b.text, citations: null }
    : { type: "tool_use", id: b.id, name: b.name, input: b.input, caller: { type: "direct" } };

/** Text and tool input arrive in pieces, as the real API sends them. */
function pieces(s: string, size = 24): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out.length > 0 ? out : [""];
}

/** The server-sent events of one streamed answer, in the real API's order. */
export function streamEvents(m: WireMessage): { event: string; data: unknown }[] {
  const ev = (event: string, data: Record<string, unknown>) => ({
    event,
    data: { type: event, ...data },
  });
  const out = [ev("message_start", { message: messageJson(m, [], null, 1) }), ev("ping", {})];
  m.content.forEach((b, index) => {
    if (b.type === "text") {
      out.push(
        ev("content_block_start", {
          index,
          content_block: { type: "text", text: "", citations: null },
        }),
      );
      for (const text of pieces(b.text))
        out.push(ev("content_block_delta", { index, delta: { type: "text_delta", text } }));
    } else {
      const start = { ...blockJson(b), input: {} };
      out.push(ev("content_block_start", { index, content_block: start }));
      for (const partial_json of pieces(JSON.stringify(b.input)))
        out.push(
          ev("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } }),
        );
    }
    out.push(ev("content_block_stop", { index }));
    if (index === 0) out.push(ev("ping", {}));
  });
  const u = m.usage;
  out.push(
    ev("message_delta", {
      delta: {
        stop_reason: m.stop_reason,
        stop_sequence: null,
        stop_details: null,
        container: null,
      },
      // Cumulative totals, as the API reports them at the end of a stream.
      usage: {
        input_tokens: u.input_tokens,
        output_tokens: u.output_tokens,
        cache_creation_input_tokens: u.cache_creation_input_tokens,
        cache_read_input_tokens: u.cache_read_input_tokens,
        output_tokens_details: null,
        server_tool_use: null,
      },
    }),
    ev("message_stop", {}),
  );
  return out;
}

const sse = (e: { event: string; data: unknown }) =>
  `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;

export async function startModelServer(opts: ModelServerOptions): Promise<ModelServer> {
  const requests: MessagesRequest[] = [];
  const requestTimes: number[] = [];
  const answerTimes: number[] = [];
  const pending: Fault[] = [];
  let always: Fault | null = null;
  const seen = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  let callIndex = 0;
  const faultNext = (fault: Fault, count = 1) => {
    for (let i = 0; i < count; i++) pending.push(fault);
  };
  const failNext = (status: FailureStatus, count = 1) =>
    faultNext({ kind: "status", status, ...(status === 429 ? { retryAfter: 0 } : {}) }, count);
  for (const f of opts.failures ?? []) failNext(f.status, f.count);

  const handle = async (req: IncomingMessage): Promise<Reply> => {
    const data = await buffer(req);
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method !== "POST" || path !== "/v1/messages")
      throw new WireError(404, `Not found: ${req.method} ${path}`);
    let body: unknown;
    try {
      body = JSON.parse(data.toString("utf8"));
      // Recorded as sent, valid or not (the list is what the client did): only
      // the accepted ones below are checked to have a request's shape.
      requests.push(body as MessagesRequest);
      requestTimes.push(performance.now());
    } catch {
      body = undefined;
    }
    const auth = req.headers.authorization;
    if (auth === undefined && req.headers["x-api-key"] !== undefined) {
      throw new WireError(401, "x-api-key is not accepted; send Authorization: Bearer <key>");
    }
    if (auth !== `Bearer ${opts.apiKey}`) throw new WireError(401, "invalid bearer token");
    const version = req.headers["anthropic-version"];
    if (version !== API_VERSION) {
      throw bad(`anthropic-version: must be ${API_VERSION} (got ${String(version ?? "none")})`);
    }
    if (body === undefined) throw bad("request body is not valid JSON");
    const fault = pending.shift() ?? always ?? undefined;
    if (fault?.kind === "status") {
      const e = new WireError(fault.status, FAILURE_MESSAGES[fault.status]);
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) };
      return { kind: "json", status: fault.status, body: errorBody(e), headers };
    }
    if (fault?.kind === "hang" || (fault?.kind === "reset" && !fault.midStream)) {
      return { kind: "fault", fault };
    }
    const streamed = isRecord(body) && body.stream === true;
    validate(body);
    const valid: MessagesRequest = body;
    const turn = await opts.respond(valid, { callIndex: callIndex++ });
    const content = turn.content.map((b) =>
      b.type === "text"
        ? { type: "text" as const, text: b.text }
        : {
            type: "tool_use" as const,
            id: b.id ?? `toolu_${randomBytes(12).toString("hex")}`,
            name: b.name,
            input: b.input,
          },
    );
    const stop =
      turn.stop_reason ?? (content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn");
    const message: WireMessage = {
      id: `msg_${randomBytes(12).toString("hex")}`,
      model: valid.model,
      content,
      stop_reason: stop,
      usage: usageOf(cacheUsage(valid, seen), estimate(JSON.stringify(turn.content).length)),
    };
    if (streamed) return { kind: "stream", message, fault };
    const json = messageJson(message, content.map(blockJson), stop, message.usage.output_tokens);
    return { kind: "json", status: 200, body: json };
  };

  const later = (ms: number, f: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
    }, ms);
    timers.add(t);
  };

  /** Write a stream's events, or as much of it as the fault allows. */
  const stream = (res: ServerResponse, m: WireMessage, fault: Fault | undefined) => {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      "request-id": `req_${randomBytes(8).toString("hex")}`,
    });
    if (fault?.kind === "trickle") {
      const ping = () => {
        if (res.destroyed) return;
        res.write(sse({ event: "ping", data: { type: "ping" } }));
        later(100, ping);
      };
      ping();
      return;
    }
    const events = streamEvents(m);
    const cut =
      fault?.kind === "stall"
        ? (fault.afterEvents ?? 3)
        : fault?.kind === "reset"
          ? Math.floor(events.length / 2)
          : events.length;
    for (const e of events.slice(0, cut)) res.write(sse(e));
    if (fault?.kind === "reset") {
      // Flushed first, so the client has really seen half an answer when the connection drops.
      later(20, () => res.socket?.destroy());
      return;
    }
    if (fault?.kind !== "stall") res.end();
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    handle(req)
      .catch((e: unknown): Reply => {
        const err =
          e instanceof WireError
            ? e
            : new WireError(
                500,
                `recorded model script failed: ${e instanceof Error ? e.message : String(e)}`,
              );
        // A broken script fails once; retrying would only run it again.
        const headers: Record<string, string> =
          e instanceof WireError ? {} : { "x-should-retry": "false" };
        return { kind: "json", status: err.status, body: errorBody(err), headers };
      })
      .then((reply) => {
        if (reply.kind === "fault") {
          if (reply.fault.kind === "reset") req.socket.destroy();
          // A hang: the request was read and nothing is ever written.
          return;
        }
        answerTimes.push(performance.now());
        if (reply.kind === "stream") return stream(res, reply.message, reply.fault);
        res.writeHead(reply.status, {
          "content-type": "application/json",
          "request-id": `req_${randomBytes(8).toString("hex")}`,
          ...reply.headers,
        });
        res.end(JSON.stringify(reply.body));
      });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const address = server.address();
  // A string is a pipe's or socket file's name; a server on a port has a port.
  invariant(typeof address === "object" && address !== null, "a listening server has a port");
  const { port } = address;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestTimes,
    answerTimes,
    failNext,
    faultNext,
    faultAlways: (fault) => {
      always = fault;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.closeAllConnections();
        // Closing twice is harmless: tests close early to simulate an unreachable API.
        server.close(() => resolve());
      }),
  };
}

function errorBody(e: WireError) {
  return {
    type: "error",
    error: { type: ERROR_TYPES[e.status] ?? "api_error", message: e.message },
  };
}

// Helpers for writing scripts.

const textOf = (content: unknown) =>
  blocksOf(content)
    .map((b) => (b.type === "text" ? b.text : ""))
    .join("\n");

/** The role from the `[paul-role: <role>]` marker in the system prompt. */
export function roleOf(req: MessagesRequest): string | undefined {
  const system = typeof req.system === "string" ? req.system : textOf(req.system);
  return /\[paul-role:\s*([\w.-]+)\s*\]/.exec(system)?.[1];
}

/** How many assistant turns the conversation already has: 0 on the first call. */
export function turnIndex(req: MessagesRequest): number {
  return req.messages.filter((m) => m.role === "assistant").length;
}

/** The task as the agent got it: every text block of the first user message. */
export function promptText(req: MessagesRequest): string {
  return textOf(req.messages[0]?.content);
}

export interface SeenToolResult {
  id: string;
  /** The name of the tool_use it answers. */
  name: string;
  content: string;
  isError: boolean;
}

/** The tool results in the last user message, with the names of the calls they answer. */
export function lastToolResults(req: MessagesRequest): SeenToolResult[] {
  const last = req.messages[req.messages.length - 1];
  const prev = blocksOf(req.messages[req.messages.length - 2]?.content);
  if (last?.role !== "user") return [];
  return blocksOf(last.content).flatMap((b) => {
    if (b.type !== "tool_result") return [];
    const use = prev.find((u) => u.type === "tool_use" && u.id === b.tool_use_id);
    return [
      {
        id: b.tool_use_id,
        name: use?.type === "tool_use" ? use.name : "",
        content: typeof b.content === "string" ? b.content : textOf(b.content ?? []),
        isError: b.is_error === true,
      },
    ];
  });
}

export const text = (t: string): ScriptedBlock => ({ type: "text", text: t });
export const toolUse = (name: string, input: unknown, id?: string): ScriptedBlock =>
  id === undefined ? { type: "tool_use", name, input } : { type: "tool_use", name, input, id };
/** A call of Paul's structured-output tool. */
export const submit = (input: unknown): ScriptedBlock => toolUse("submit_result", input);
