/**
 * Everything that leaves Paul (terminal output, PR bodies, stored gate output,
 * Slack messages, logs) passes through a redactor built from the secret values
 * the config knows plus token shapes that are secrets wherever they appear.
 */
const TOKEN_SHAPES: RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{8,}/g,
  // No leading \b: a token glued to other word characters is still a token.
  /gh[pousr]_[A-Za-z0-9]{20,}/g,
  /github_pat_[A-Za-z0-9_]{20,}/g,
  /xox[abposr]-[A-Za-z0-9-]{10,}/g,
  /xapp-[A-Za-z0-9-]{10,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /(postgres(?:ql)?:\/\/[^:\s/]+:)[^@\s]+(@)/g,
];

export const REDACTED = "[REDACTED]";

export type Redactor = (text: string) => string;

export function makeRedactor(secretValues: readonly (string | undefined)[]): Redactor {
  // Short values would redact ordinary words; anything under 8 chars is not a real secret.
  const values = [...new Set(secretValues.filter((v): v is string => !!v && v.length >= 8))].sort(
    (a, b) => b.length - a.length,
  );
  return (text: string) => {
    let out = text;
    for (const v of values) out = out.split(v).join(REDACTED);
    for (const shape of TOKEN_SHAPES) {
      out = out.replace(shape, (...m: unknown[]) => {
        const groups = m.slice(1, -2).filter((g): g is string => typeof g === "string");
        return groups.length === 2 ? `${groups[0]}${REDACTED}${groups[1]}` : REDACTED;
      });
    }
    return out;
  };
}

/** Redact every string inside a JSON-like value. */
export function redactDeep<T>(value: T, redact: Redactor): T {
  // Safe for the JSON-like values it is for: strings stay strings, arrays arrays
  // of the same length, plain objects objects with the same keys.
  return redactValue(value, redact) as T;
}

function redactValue(value: unknown, redact: Redactor): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redact));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, redact);
    return out;
  }
  return value;
}
