/**
 * Slack's text rules in one place: what the Web API rejects (LIMITS), how
 * mrkdwn is escaped, and how long text is cut into pieces Slack accepts
 * without losing a character.
 */
export const LIMITS = Object.freeze({
  blocksPerMessage: 50,
  blocksPerView: 100,
  sectionText: 3000,
  fieldText: 2000,
  fieldsPerSection: 10,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  messageText: 40_000,
  modalTitle: 24,
});

/** Model and user text must not turn into links, mentions or broadcasts. */
export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A Slack user id becomes a mention; anyone else (a terminal user) is shown as written. */
export function mention(who: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(who) ? `<@${who}>` : `\`${esc(who)}\``;
}

/** Slack user ids inside pipeline messages ("Cancelled by U123.") become mentions. */
export function mentionIds(text: string): string {
  return text.replace(/\b[UW][A-Z0-9]{8,}\b/g, (id) => `<@${id}>`);
}

export function link(url: string, label: string): string {
  return `<${url.replace(/[|>]/g, encodeURIComponent)}|${esc(label).replace(/\|/g, "¦")}>`;
}

/** For the few places Slack has a hard small limit and the full text is shown elsewhere. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = safeCut(s, max - 1);
  return `${s.slice(0, cut)}…`;
}

const FENCE = "```";

/**
 * Cut mrkdwn into pieces of at most `max` characters: at a line break when one
 * is near, else at a space, never inside an entity (&amp;), a link (<…>) or a
 * surrogate pair. An open code fence is closed and reopened across the cut.
 */
export function splitMrkdwn(text: string, max: number = LIMITS.sectionText): string[] {
  const budget = max - FENCE.length * 2 - 2;
  const out: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf("\n", budget);
    if (cut < budget / 2) {
      const space = rest.lastIndexOf(" ", budget);
      cut = space >= budget / 2 ? space : budget;
    }
    cut = safeCut(rest, cut);
    let piece = rest.slice(0, cut);
    rest = rest.slice(cut).replace(/^\n/, "");
    if (countFences(piece) % 2 === 1) {
      piece = `${piece}\n${FENCE}`;
      rest = `${FENCE}\n${rest}`;
    }
    if (piece.trim()) out.push(piece);
  }
  if (rest.trim()) out.push(rest);
  return out.length > 0 ? out : [" "];
}

function countFences(s: string): number {
  return s.split(FENCE).length - 1;
}

/** Move a cut position back so it does not land inside an entity, a link or a surrogate pair. */
function safeCut(s: string, at: number): number {
  let cut = Math.max(1, Math.min(at, s.length));
  const amp = s.lastIndexOf("&", cut - 1);
  if (amp >= 0 && cut - amp < 10 && !s.slice(amp, cut).includes(";")) cut = amp;
  const open = s.lastIndexOf("<", cut - 1);
  if (open > 0 && cut - open < 500 && !s.slice(open, cut).includes(">")) cut = open;
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return Math.max(1, cut);
}

export function bullets(items: readonly string[], empty = "_none_"): string {
  return items.length === 0 ? empty : items.map((s) => `• ${s}`).join("\n");
}

export function usd(n: number): string {
  return `$${n.toFixed(n < 1 ? 4 : 2)}`;
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${m}m`;
  return m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
}
