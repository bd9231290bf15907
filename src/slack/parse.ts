import { PaulError } from "../errors.ts";

/** `/paul …` text → a command, or a bad_input PaulError that says what to type instead. */
export type PaulCommand =
  | { name: "build"; feature: string; repo: string | undefined; base: string | undefined }
  | { name: "repo"; repo: string | undefined; base: string | undefined }
  | { name: "status"; run: string | undefined }
  | { name: "runs" }
  | { name: "cancel"; run: string }
  | { name: "help" };

export const USAGE = [
  "*Paul* turns a feature request into a reviewed pull request.",
  "• `/paul build <feature> [--repo owner/name] [--base branch]` — start a run; its thread shows every step and asks you to decide",
  "• `/paul repo owner/name [--base branch]` — set this channel's default repository (`/paul repo` shows it)",
  "• `/paul status [run]` — where a run is (default: this channel's latest)",
  "• `/paul runs` — this channel's recent runs",
  "• `/paul cancel <run>` — stop a run",
  "• `/paul help` — this message",
  "The requester and the configured approvers decide; a reply in a run's thread while Paul waits is taken as feedback.",
].join("\n");

const bad = (message: string, hint: string) => new PaulError("bad_input", message, { hint });

/** Words, with "double", “curly” or 'single' quotes grouping words. */
function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|“([^”]*)”|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? "");
  return out;
}

/** Only Paul's own flags are flags: "add a --json flag" keeps its --json. */
function flags(tokens: string[], known: readonly string[]) {
  const values: Record<string, string> = {};
  const rest: string[] = [];
  const left = [...tokens];
  for (let t = left.shift(); t !== undefined; t = left.shift()) {
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(t);
    if (m?.[1] && known.includes(m[1])) {
      const v = m[2] ?? left.shift();
      if (!v || v.startsWith("--")) {
        throw bad(
          `--${m[1]} needs a value.`,
          m[1] === "repo" ? "write it as --repo owner/name" : "write it as --base branch-name",
        );
      }
      values[m[1]] = v;
    } else rest.push(t);
  }
  return { values, rest };
}

export function parseCommand(text: string): PaulCommand {
  const tokens = tokenize(text.trim());
  const sub = (tokens.shift() ?? "help").toLowerCase();
  switch (sub) {
    case "help":
      return { name: "help" };
    case "build": {
      const { values, rest } = flags(tokens, ["repo", "base"]);
      const feature = rest.join(" ").trim();
      if (!feature) {
        throw bad(
          "The feature is empty: Paul needs to know what to build.",
          "describe it in words, e.g. `/paul build add a --json flag to the export command --repo acme/webapp`",
        );
      }
      return { name: "build", feature, repo: values.repo, base: values.base };
    }
    case "repo": {
      const { values, rest } = flags(tokens, ["base"]);
      if (rest.length > 1)
        throw bad(
          `\`/paul repo\` takes one repository, not ${rest.length}.`,
          "write it as `/paul repo owner/name [--base branch]`",
        );
      return { name: "repo", repo: rest[0], base: values.base };
    }
    case "status":
      return { name: "status", run: tokens[0] };
    case "runs":
      return { name: "runs" };
    case "cancel":
      if (!tokens[0])
        throw bad(
          "Which run should be cancelled?",
          "write it as `/paul cancel r-abc123` (`/paul runs` lists them)",
        );
      return { name: "cancel", run: tokens[0] };
    default:
      throw bad(
        `\`${sub.replace(/`/g, "'").slice(0, 40)}\` is not a Paul command.`,
        "try `/paul help` for the list: build, repo, status, runs, cancel",
      );
  }
}

/**
 * A GitHub repository as typed in Slack: owner/name, a github URL, or either
 * wrapped as a Slack link (<https://…|label>).
 */
export function parseRepoName(raw: string, githubWebUrl: string): { owner: string; name: string } {
  const s = raw.trim().replace(/^<([^|>]+)(\|[^>]*)?>$/, "$1");
  const bases = [
    githubWebUrl.replace(/\/+$/, ""),
    "https://github.com",
    "http://github.com",
    "github.com",
  ];
  let path = s;
  for (const b of bases) {
    if (s.toLowerCase().startsWith(`${b.toLowerCase()}/`)) path = s.slice(b.length + 1);
  }
  const m = /^([A-Za-z0-9][A-Za-z0-9-]*)\/([A-Za-z0-9._-]+?)(?:\.git)?\/?$/.exec(path);
  if (!m?.[1] || !m[2] || m[2] === "." || m[2] === "..") {
    throw bad(
      `\`${raw.replace(/`/g, "'").slice(0, 100)}\` is not a GitHub repository.`,
      "name it as owner/name, e.g. `--repo acme/webapp`",
    );
  }
  return { owner: m[1], name: m[2] };
}

export const RUN_ID = /^r-[a-z0-9]{4,12}$/;
