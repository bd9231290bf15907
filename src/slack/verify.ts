import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { HTTPModuleFunctions, type HTTPReceiver, isValidSlackRequest } from "@slack/bolt";

/** How far a request's X-Slack-Request-Timestamp may be from Paul's clock, either way. */
export const MAX_SKEW_SEC = 5 * 60;

/**
 * Signatures of the requests accepted within the skew window. A signature
 * covers the timestamp, so one can only come back while its timestamp is
 * still in the window: entries older than that are dropped, and the map is
 * capped (oldest first) so a flood can't grow it without end.
 */
export function createReplayGuard(max = 10_000) {
  const seen = new Map<string, number>();
  return {
    /** Whether `signature` was already accepted; records it when not. */
    repeated(signature: string, timestampSec: number, nowMs: number): boolean {
      for (const [s, expires] of seen) {
        if (expires > nowMs && seen.size < max) break;
        seen.delete(s);
      }
      if (seen.has(signature)) return true;
      seen.set(signature, (timestampSec + MAX_SKEW_SEC) * 1000);
      return false;
    },
    size: () => seen.size,
  };
}

const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return typeof v === "string" ? v : undefined;
};

const answer = (res: ServerResponse, status: number) => {
  res.writeHead(status);
  res.end();
};

/**
 * Checks Bolt's HTTP receiver leaves out, before Bolt sees the request: a
 * timestamp more than five minutes ahead gets 401 like one five minutes
 * behind (Bolt only checks the past), and a correctly signed request seen
 * before is a replay: 200, so Slack does not retry it, and nothing runs.
 * Slack's own retries of events are new requests with new signatures.
 */
export function guardReceiver(
  receiver: HTTPReceiver,
  o: { path: string; signingSecret: string; log: (s: string) => void; now?: () => number },
): HTTPReceiver {
  const inner = receiver.requestListener;
  const guard = createReplayGuard();
  const now = o.now ?? Date.now;

  async function check(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    let raw: string;
    try {
      // Buffered on the request itself, where Bolt's own parsing finds it.
      raw = (await HTTPModuleFunctions.bufferIncomingMessage(req)).rawBody.toString();
    } catch (e) {
      answer(res, HTTPModuleFunctions.isRawBodyError(e) ? 413 : 400);
      return false;
    }
    const signature = header(req, "x-slack-signature");
    const timestamp = Number(header(req, "x-slack-request-timestamp"));
    // Left to Bolt: unsigned requests (401) and Slack's unsigned ssl_check.
    if (!signature || !Number.isFinite(timestamp)) return true;
    const t = now();
    if (Math.abs(t / 1000 - timestamp) > MAX_SKEW_SEC) {
      o.log("slack: a request dated more than five minutes from now was refused (401)");
      answer(res, 401);
      return false;
    }
    const valid = isValidSlackRequest({
      signingSecret: o.signingSecret,
      body: raw,
      headers: { "x-slack-signature": signature, "x-slack-request-timestamp": timestamp },
      nowMilliseconds: t,
    });
    if (!valid) return true;
    if (guard.repeated(signature, timestamp, t)) {
      o.log("slack: a request seen before (same signature) was acknowledged and ignored");
      answer(res, 200);
      return false;
    }
    return true;
  }

  const listener: RequestListener = (req, res) => {
    const path = new URL(req.url ?? "/", "http://paul").pathname;
    if (req.method !== "POST" || path !== o.path) return inner(req, res);
    void check(req, res)
      .then((pass) => {
        if (pass) inner(req, res);
      })
      .catch((e: unknown) => {
        o.log(`slack: a request could not be handled: ${String(e)}`);
        if (!res.headersSent) answer(res, 500);
      });
  };
  receiver.requestListener = listener;
  return receiver;
}
