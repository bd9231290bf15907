import { validateBlocks, validateView } from "./fake-slack-rules.ts";

/** The Web API methods the fake Slack answers, over its recorded state. */
export type Block = Record<string, unknown>;

export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs: string | undefined;
  text: string;
  blocks: Block[];
  updates: number;
  /** Every version the message had, oldest first (the current one last). */
  history: { text: string; blocks: Block[] }[];
}

export interface Ephemeral {
  via: "chat.postEphemeral" | "response_url";
  channel: string | undefined;
  user: string | undefined;
  text: string;
  blocks: Block[];
  responseType: string | undefined;
}

export interface FakeView {
  id: string;
  kind: "modal" | "home";
  user: string | undefined;
  triggerId: string | undefined;
  view: Record<string, unknown>;
}

export interface FakeSlackState {
  messages: FakeMessage[];
  ephemerals: Ephemeral[];
  views: FakeView[];
}

export interface MethodOptions {
  usergroups?: Record<string, string[]>;
  memberships?: Record<string, string[]>;
  channels?: string[];
  /** The ws:// URL apps.connections.open hands out, when Socket Mode is served. */
  socketUrl?: () => string;
}

export type Answer = {
  status?: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
};
export type Method = (a: Record<string, unknown>) => Answer;

export const ok = (body: Record<string, unknown> = {}): Answer => ({ body: { ok: true, ...body } });
export const err = (error: string, messages?: string[]): Answer => ({
  body: { ok: false, error, ...(messages ? { response_metadata: { messages } } : {}) },
});
const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const errors = (error: string, problems: string[]) =>
  err(
    error,
    problems.map((p) => `[ERROR] ${p}`),
  );

/** What chat.postMessage, chat.update, chat.postEphemeral and response_url all check. */
export function checkMessage(a: Record<string, unknown>): Answer | undefined {
  const text = str(a.text) ?? "";
  if (a.blocks === undefined && !text) return err("no_text");
  if (text.length > 40_000) return err("msg_too_long");
  if (a.blocks !== undefined) {
    const problems = validateBlocks(a.blocks, "message");
    if (problems.length) return errors("invalid_blocks", problems);
  }
  return undefined;
}

export function slackMethods(state: FakeSlackState, opts: MethodOptions): Record<string, Method> {
  const { messages, ephemerals, views } = state;
  let seq = 0;
  // Same integer part and width, so timestamps sort as strings in posting order.
  const nextTs = () => `1700000000.${String(++seq).padStart(6, "0")}`;
  const channelOk = (c: string | undefined) => !!c && (!opts.channels || opts.channels.includes(c));
  const addView = (v: Omit<FakeView, "id">) => {
    const id = `V${String(views.length + 1).padStart(8, "0")}`;
    views.push({ id, ...v });
    return id;
  };

  return {
    "auth.test": () =>
      ok({
        url: "https://paul-test.slack.com/",
        team: "Paul Test",
        user: "paul",
        team_id: "T0TEST",
        user_id: "U0PAULBOT",
        bot_id: "B0PAULBOT",
      }),
    "chat.postMessage": (a) => {
      const channel = str(a.channel);
      if (!channelOk(channel)) return err("channel_not_found");
      const bad = checkMessage(a);
      if (bad) return bad;
      const threadTs = str(a.thread_ts);
      if (threadTs && !messages.some((m) => m.channel === channel && m.ts === threadTs))
        return err("thread_not_found");
      const text = str(a.text) ?? "";
      const blocks = (a.blocks as Block[]) ?? [];
      const m: FakeMessage = {
        channel: channel!,
        ts: nextTs(),
        threadTs,
        text,
        blocks,
        updates: 0,
        history: [{ text, blocks }],
      };
      messages.push(m);
      return ok({ channel, ts: m.ts, message: { text: m.text, ts: m.ts } });
    },
    "chat.update": (a) => {
      const m = messages.find((x) => x.channel === str(a.channel) && x.ts === str(a.ts));
      if (!m) return err("message_not_found");
      const bad = checkMessage(a);
      if (bad) return bad;
      m.text = str(a.text) ?? m.text;
      if (a.blocks !== undefined) m.blocks = a.blocks as Block[];
      m.updates++;
      m.history.push({ text: m.text, blocks: m.blocks });
      return ok({ channel: m.channel, ts: m.ts, text: m.text });
    },
    "chat.postEphemeral": (a) => {
      if (!str(a.user)) return err("user_not_found");
      if (!channelOk(str(a.channel))) return err("channel_not_found");
      const bad = checkMessage(a);
      if (bad) return bad;
      ephemerals.push({
        via: "chat.postEphemeral",
        channel: str(a.channel),
        user: str(a.user),
        text: str(a.text) ?? "",
        blocks: (a.blocks as Block[]) ?? [],
        responseType: "ephemeral",
      });
      return ok({ message_ts: nextTs() });
    },
    "views.open": (a) => {
      if (!str(a.trigger_id)) return err("invalid_trigger_id");
      const problems = validateView(a.view, "modal");
      if (problems.length) return errors("invalid_arguments", problems);
      const id = addView({
        kind: "modal",
        user: undefined,
        triggerId: str(a.trigger_id),
        view: a.view as Record<string, unknown>,
      });
      return ok({ view: { id, ...(a.view as Record<string, unknown>) } });
    },
    "views.publish": (a) => {
      if (!str(a.user_id)) return err("invalid_arguments");
      const problems = validateView(a.view, "home");
      if (problems.length) return errors("invalid_arguments", problems);
      return ok({
        view: {
          id: addView({
            kind: "home",
            user: str(a.user_id),
            triggerId: undefined,
            view: a.view as Record<string, unknown>,
          }),
        },
      });
    },
    "usergroups.users.list": (a) => {
      const users = opts.usergroups?.[str(a.usergroup) ?? ""];
      return users ? ok({ users }) : err("no_such_subteam");
    },
    "users.conversations": (a) => {
      const ids = opts.memberships?.[str(a.user) ?? ""] ?? [];
      return ok({ channels: ids.map((id) => ({ id })), response_metadata: { next_cursor: "" } });
    },
    "apps.connections.open": () =>
      opts.socketUrl ? ok({ url: opts.socketUrl() }) : err("not_allowed_token_type"),
  };
}

/** A response_url post, as Bolt's respond() makes it. */
export function respondTo(
  state: FakeSlackState,
  path: string,
  args: Record<string, unknown>,
): Answer {
  const bad = checkMessage(args);
  if (bad) return { status: 400, body: { ok: false, error: bad.body.error } };
  state.ephemerals.push({
    via: "response_url",
    channel: undefined,
    user: path,
    text: str(args.text) ?? "",
    blocks: (args.blocks as Block[]) ?? [],
    responseType: str(args.response_type),
  });
  return ok();
}
