/** USD per million tokens. */
export interface Price {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

// Cache writes (5-minute TTL) cost 1.25× input and cache reads 0.1× input on every model.
const price = (input: number, output: number): Price => ({
  input,
  output,
  cacheWrite: input * 1.25,
  cacheRead: input * 0.1,
});

const HAIKU = price(1, 5);
const SONNET = price(3, 15);
const OPUS = price(5, 25);

const TABLE: Record<string, Price> = {
  "claude-haiku-5-5": HAIKU,
  "claude-haiku-4-5": HAIKU,
  "claude-haiku-4-5-20251001": HAIKU,
  "claude-sonnet-5-5": SONNET,
  "claude-sonnet-5": SONNET,
  "claude-sonnet-4-6": SONNET,
  "claude-sonnet-4-5": SONNET,
  "claude-sonnet-4-5-20250929": SONNET,
  "claude-opus-5-5": OPUS,
  "claude-opus-5": OPUS,
  "claude-opus-4-8": OPUS,
  "claude-opus-4-7": OPUS,
  "claude-opus-4-6": OPUS,
  "claude-opus-4-5": OPUS,
  "claude-opus-4-5-20251101": OPUS,
  // No published price Paul knows of: priced like opus so budgets err on the safe side.
  "claude-fable-5-2": OPUS,
  "claude-fable-5-1": OPUS,
  "claude-fable-5": OPUS,
  "claude-mythos-5-2": OPUS,
  "claude-mythos-5-1": OPUS,
  "claude-mythos-5": OPUS,
  "claude-mythos-preview": OPUS,
};

export function priceOf(model: string): Price {
  const known = TABLE[model];
  if (known) return known;
  const id = model.toLowerCase();
  if (id.includes("haiku")) return HAIKU;
  if (id.includes("opus") || id.includes("fable") || id.includes("mythos")) return OPUS;
  return SONNET;
}

export function costOf(model: string, usage: TokenUsage): number {
  const p = priceOf(model);
  const usd =
    (usage.inputTokens * p.input +
      usage.outputTokens * p.output +
      usage.cacheWriteTokens * p.cacheWrite +
      usage.cacheReadTokens * p.cacheRead) /
    1_000_000;
  // Sub-micro-dollar noise from float arithmetic is not money; keep ledgers stable.
  return Math.round(usd * 1e8) / 1e8;
}
