import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type Answer,
  err,
  type FakeMessage,
  type FakeSlackState,
  type FakeView,
  type MethodOptions,
  respondTo,
  slackMethods,
} from "./fake-slack-methods.ts";
import { type FakeSocket, serveSocketMode } from "./fake-slack-socket.ts";

export type { Block, Ephemeral, FakeMessage, FakeView } from "./fake-slack-methods.ts";

/**
 * Slack's Web API for the methods Paul uses, over real HTTP, enforcing what
 * Slack enforces: a Bearer bot token (an xapp- app token for Socket Mode),
 * Block Kit limits (invalid_blocks), message length (msg_too_long), messages
 * that exist (message_not_found) and 429 with Retry-After on demand. Also the
 * response_url endpoint that Bolt's respond() posts to, and Socket Mode's
 * WebSocket. Every call is recorded; messages keep their latest content (and
 * their history), so a thread can be read back as people would see it.
 */
export interface FakeSlackOptions extends Omit<MethodOptions, "socketUrl"> {
  token: string;
  /** An app-level token; when set, apps.connections.open serves Socket Mode. */
  appToken?: string;
}

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  response: Record<string, unknown>;
  status: number;
  at: number;
}

export interface FakeSlack extends FakeSlackState {
  url: string;
  apiUrl: string;
  calls: SlackCall[];
  socket: FakeSocket;
  /** The next `count` Web API calls answer `status` (429: with Retry-After `retryAfter` seconds). */
  failNext(status: number, retryAfter?: number, count?: number): void;
  /**
   * Answer 429 with Retry-After `retryAfter` (default 1) to `count` calls of
   * `methods` (default: every method but auth.test). With `perCall`, each
   * call is answered 429 that many times and then its retry (the same request
   * again) goes through, as when Slack's limit is reached on every call;
   * otherwise the next `count` calls are refused in a row.
   */
  rateLimit(o: { count: number; retryAfter?: number; methods?: string[]; perCall?: number }): void;
  /** 429s answered so far by rateLimit. */
  rateLimited(): number;
  /** A response_url Bolt can post to. */
  responseUrl(): string;
  /** Root then replies, in order, each with its latest content. */
  thread(channel: string, ts: string): FakeMessage[];
  callsTo(method: string): SlackCall[];
  close(): Promise<void>;
}

function parseBody(raw: string, type: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  if (type?.includes("application/json")) return JSON.parse(raw) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    // The Web API client form-encodes objects and arrays as JSON strings.
    out[k] = /^[[{]/.test(v) ? safeJson(v) : v;
  }
  return out;
}

function safeJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

export async function startFakeSlack(opts: FakeSlackOptions): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const state: FakeSlackState = { messages: [], ephemerals: [], views: [] as FakeView[] };
  const failures: { status: number; retryAfter: number }[] = [];
  type Limit = { left: number; retryAfter: number; methods?: string[]; perCall: number };
  let limit: Limit | undefined;
  let limitedCount = 0;
  // Requests answered 429 (perCall), with how many more 429s each gets.
  const awaitingRetry = new Map<string, number>();
  function rateLimited(method: string, raw: string): Answer | undefined {
    if (!limit || limit.left <= 0 || method === "auth.test") return undefined;
    if (limit.methods && !limit.methods.includes(method)) return undefined;
    const id = `${method} ${raw}`;
    if (limit.perCall > 0) {
      const more = awaitingRetry.get(id) ?? limit.perCall;
      if (more === 0) {
        awaitingRetry.delete(id);
        return undefined;
      }
      awaitingRetry.set(id, more - 1);
    }
    limit.left--;
    limitedCount++;
    return {
      status: 429,
      headers: { "retry-after": String(limit.retryAfter) },
      body: { ok: false, error: "ratelimited" },
    };
  }
  let host = "";
  const methods = slackMethods(state, {
    ...opts,
    ...(opts.appToken ? { socketUrl: () => `ws://${host}/link/?ticket=1` } : {}),
  });

  type Handled = Answer & { method: string; args: Record<string, unknown> };
  async function handle(req: IncomingMessage, raw: string): Promise<Handled> {
    const url = new URL(req.url ?? "/", `http://${host}`);
    const args = parseBody(raw, req.headers["content-type"]);
    if (url.pathname.startsWith("/respond/"))
      return { method: "response_url", args, ...respondTo(state, url.pathname, args) };
    const method = url.pathname.replace(/^\/api\//, "");
    const limited = rateLimited(method, raw);
    if (limited) return { method, args, ...limited };
    const failure = failures.shift();
    if (failure) {
      const headers: Record<string, string> =
        failure.status === 429 ? { "retry-after": String(failure.retryAfter) } : {};
      const error = failure.status === 429 ? "ratelimited" : "fatal_error";
      return { method, args, status: failure.status, headers, body: { ok: false, error } };
    }
    const auth =
      /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ??
      (args.token as string | undefined);
    const expected = method === "apps.connections.open" ? opts.appToken : opts.token;
    if (!auth || auth !== expected)
      return { method, args, ...err(auth ? "invalid_auth" : "not_authed") };
    const fn = methods[method];
    if (!fn) return { method, args, ...err("unknown_method") };
    return { method, args, ...fn(args) };
  }

  const server = createServer(async (req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    for await (const chunk of req) raw += chunk;
    const a = await handle(req, raw).catch(
      (e: unknown): Handled => ({ method: "?", args: {}, ...err(`fake_error: ${String(e)}`) }),
    );
    calls.push({
      method: a.method,
      args: a.args,
      response: a.body,
      status: a.status ?? 200,
      at: Date.now(),
    });
    res.writeHead(a.status ?? 200, {
      "content-type": "application/json; charset=utf-8",
      ...a.headers,
    });
    res.end(JSON.stringify(a.body));
  });
  const socket = serveSocketMode(server, "/link");
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  let respondN = 0;

  return {
    ...state,
    url: `http://${host}`,
    apiUrl: `http://${host}/api/`,
    calls,
    socket,
    failNext(status, retryAfter = 1, count = 1) {
      for (let i = 0; i < count; i++) failures.push({ status, retryAfter });
    },
    rateLimit(o) {
      awaitingRetry.clear();
      limit = {
        left: o.count,
        retryAfter: o.retryAfter ?? 1,
        perCall: o.perCall ?? 0,
        ...(o.methods ? { methods: o.methods } : {}),
      };
    },
    rateLimited: () => limitedCount,
    responseUrl: () => `http://${host}/respond/${++respondN}`,
    thread(channel, ts) {
      const byTs = (a: FakeMessage, b: FakeMessage) => a.ts.localeCompare(b.ts);
      const root = state.messages.find((m) => m.channel === channel && m.ts === ts);
      const replies = state.messages
        .filter((m) => m.channel === channel && m.threadTs === ts)
        .sort(byTs);
      return root ? [root, ...replies] : replies;
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    close: () =>
      new Promise<void>((resolve) => {
        socket.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
