import Anthropic, { type Middleware } from "@anthropic-ai/sdk";
import { PaulError } from "../errors.ts";

/** How a streamed model call is watched; see createModelClient for the defaults. */
export interface StreamSettings {
  /** No bytes for this long (before the answer starts or in the middle of it): abort and try again. */
  idleMs: number;
  /** One try, the SDK's own retries of errors included, may take at most this long. */
  totalMs: number;
  /** Tries of one call that went silent or broke mid-stream. */
  tries: number;
  /** Wait before the next try; the SDK's retries of HTTP errors have their own backoff. */
  backoffMs: (failedTries: number) => number;
  /** How often a caller waiting on one call hears that it is still waiting. */
  waitNoticeMs: number;
}

type Params = Anthropic.Messages.MessageCreateParamsNonStreaming;

type TryOutcome =
  | { ok: true; message: Anthropic.Messages.Message }
  | { ok: false; why: "idle" | "total" | "broken"; error?: unknown };

/**
 * One model call as a stream, watched for silence. A server that accepts and
 * never answers, or stops halfway, is cut off after `idleMs` without bytes
 * and tried again, up to `tries` times, instead of holding a job for the
 * SDK's ten-minute timeout per retry.
 */
export async function streamMessage(
  client: Anthropic,
  s: StreamSettings,
  params: Params,
  o: { signal?: AbortSignal | undefined; onWait?: ((waitedMs: number) => void) | undefined } = {},
): Promise<Anthropic.Messages.Message> {
  const started = performance.now();
  const notice = setInterval(() => o.onWait?.(performance.now() - started), s.waitNoticeMs);
  try {
    for (let tried = 1; ; tried++) {
      const outcome = await oneTry(client, s, params, o.signal);
      if (outcome.ok) return outcome.message;
      if (tried >= s.tries) throw gaveUp(client, s, outcome, tried);
      await sleep(s.backoffMs(tried), o.signal);
    }
  } finally {
    clearInterval(notice);
  }
}

async function oneTry(
  client: Anthropic,
  s: StreamSettings,
  params: Params,
  outer: AbortSignal | undefined,
): Promise<TryOutcome> {
  if (outer?.aborted) throw new Anthropic.APIUserAbortError();
  const ac = new AbortController();
  const cancel = () => ac.abort();
  outer?.addEventListener("abort", cancel);
  let why: "idle" | "total" | undefined;
  let connected = false;
  let idle: NodeJS.Timeout | undefined;
  const disarm = () => clearTimeout(idle);
  const arm = () => {
    disarm();
    idle = setTimeout(() => {
      why = "idle";
      ac.abort();
    }, s.idleMs);
  };
  const total = setTimeout(() => {
    why = "total";
    ac.abort();
  }, s.totalMs);
  try {
    const stream = client.messages.stream(params, {
      signal: ac.signal,
      middleware: [
        watchBytes(arm, disarm, () => {
          connected = true;
        }),
      ],
    });
    return { ok: true, message: await stream.finalMessage() };
  } catch (e) {
    if (outer?.aborted) throw e;
    if (why) return { ok: false, why };
    // A stream cut or failed after it began: the SDK retries only before the answer starts.
    if (connected && !(e instanceof Anthropic.APIError && e.status !== undefined)) {
      return { ok: false, why: "broken", error: e };
    }
    throw e;
  } finally {
    disarm();
    clearTimeout(total);
    outer?.removeEventListener("abort", cancel);
  }
}

/**
 * Restarts the silence clock on every chunk of the answer, pings included.
 * Between the SDK's own retries of an error answer the clock stops: waiting
 * out a retry-after is not the server being silent.
 */
function watchBytes(arm: () => void, disarm: () => void, onConnect: () => void): Middleware {
  return async (request, next) => {
    arm();
    let res: Response;
    try {
      res = await next(request);
    } catch (e) {
      disarm();
      throw e;
    }
    if (!res.ok || !res.body) {
      disarm();
      return res;
    }
    onConnect();
    arm();
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, out) {
          arm();
          out.enqueue(chunk);
        },
      }),
    );
    return new Response(body, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
}

function gaveUp(
  client: Anthropic,
  s: StreamSettings,
  outcome: Extract<TryOutcome, { ok: false }>,
  tries: number,
): PaulError {
  const where = `The Anthropic API at ${client.baseURL}`;
  const what =
    outcome.why === "idle"
      ? `sent nothing for ${seconds(s.idleMs)}`
      : outcome.why === "total"
        ? `did not finish an answer within ${seconds(s.totalMs)}`
        : `cut its answer off mid-stream (${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)})`;
  return new PaulError("model_unavailable", `${where} ${what}, ${tries} times in a row.`, {
    hint: "check the network, the API's status page and ANTHROPIC_BASE_URL; PAUL_MODEL_IDLE_SECONDS sets how long a silence may last",
    cause: outcome.error,
  });
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
