import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { PaulError } from "./errors.ts";
import { type Size, SizeSchema } from "./pipeline/implementation/plan.ts";
import { makeRedactor, type Redactor } from "./redact.ts";
import {
  DEFAULT_ALLOWED_HOSTS,
  type NetworkPolicy,
  type SandboxPolicy,
} from "./workspace/sandbox-policy.ts";

/**
 * Environment → zod → typed config, parsed once at start-up and passed down.
 * No other module reads process.env.
 */

export type Command = "build" | "resume" | "worker" | "serve" | "demo" | "migrate" | "read";

interface VarSpec {
  schema: z.ZodType;
  example: string;
  why: string;
  /** Commands for which the variable must be set. */
  requiredFor?: readonly Command[];
  secret?: boolean;
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const num = (min: number) => z.coerce.number().min(min);
const url = z.url();
const csv = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean),
);

export const VARS = {
  DATABASE_URL: {
    schema: url.refine((u) => /^postgres(ql)?:/.test(u), "must be a postgres:// URL"),
    example: "postgres://user:pass@127.0.0.1:5432/paul",
    why: "the Postgres that holds runs and the job queue; unset means an embedded Postgres under PAUL_HOME",
    secret: true,
  },
  PAUL_HOME: {
    schema: z.string().min(1),
    example: "/home/me/.paul",
    why: "where Paul keeps its embedded database and git workspaces (default ~/.paul)",
  },
  PAUL_PG_PORT: {
    schema: int(1024, 65535),
    example: "54329",
    why: "the port of the embedded Postgres (default 54329)",
  },
  PAUL_SANDBOX: {
    schema: z.enum(["on", "off"]),
    example: "on",
    why: "off runs agents' commands and gates without the sandbox (not recommended; every run says so)",
  },
  PAUL_SANDBOX_NETWORK: {
    schema: z
      .string()
      .trim()
      .refine(
        (v) => v === "on" || v === "off" || /^[A-Za-z0-9*.:,\s-]+$/.test(v),
        'must be "on", "off" or a comma-separated list of hosts',
      ),
    example: "registry.npmjs.org,github.com",
    why: "network for agents' commands and gates: on, off, or the hosts allowed (default: the common package registries and GitHub)",
  },
  ANTHROPIC_API_KEY: {
    schema: z.string().min(10),
    example: "sk-ant-api03-…",
    why: "the agents call the Anthropic Messages API with it",
    requiredFor: ["build", "resume", "worker", "serve"],
    secret: true,
  },
  ANTHROPIC_BASE_URL: {
    schema: url,
    example: "https://api.anthropic.com",
    why: "where the Anthropic API is (a proxy or gateway)",
  },
  PAUL_MODEL_ANALYSIS: {
    schema: z.string().min(1),
    example: "claude-sonnet-5-5",
    why: "model for analysis",
  },
  PAUL_MODEL_APPROACHES: {
    schema: z.string().min(1),
    example: "claude-sonnet-5-5",
    why: "model for approaches",
  },
  PAUL_MODEL_JUDGE: {
    schema: z.string().min(1),
    example: "claude-sonnet-5-5",
    why: "model for judges",
  },
  PAUL_MODEL_PLANNER: {
    schema: z.string().min(1),
    example: "claude-sonnet-5-5",
    why: "model for task planning",
  },
  PAUL_MODEL_CODER_CHEAP: {
    schema: z.string().min(1),
    example: "claude-haiku-5-5",
    why: "model for small coding tasks",
  },
  PAUL_MODEL_CODER_STRONG: {
    schema: z.string().min(1),
    example: "claude-sonnet-5-5",
    why: "model for large tasks and escalated retries",
  },
  PAUL_MODEL_REVIEWER: {
    schema: z.string().min(1),
    example: "claude-sonnet-5-5",
    why: "model for the diff reviewer",
  },
  PAUL_BUDGET_USD: {
    schema: num(0.01),
    example: "10",
    why: "per-run spending limit in dollars (default 10)",
  },
  PAUL_BUDGET_TOKENS: {
    schema: int(1000, 1e10),
    example: "5000000",
    why: "per-run token limit (default 5,000,000)",
  },
  PAUL_BUDGET_MINUTES: {
    schema: num(0.01),
    example: "180",
    why: "per-run limit on the minutes its jobs work; waiting for a decision does not count (default 180)",
  },
  PAUL_MODEL_IDLE_SECONDS: {
    schema: num(0.1),
    example: "90",
    why: "a model call that sends nothing for this long is aborted and tried again (default 90)",
  },
  PAUL_MODEL_NOTICE_SECONDS: {
    schema: num(0.1),
    example: "15",
    why: "how often a run says it is still waiting for the model (default 15)",
  },
  PAUL_MAX_CODER_ATTEMPTS: {
    schema: int(1, 20),
    example: "5",
    why: "coder attempts per task (default 5)",
  },
  PAUL_TASK_AGENT_ERRORS: {
    schema: int(1, 20),
    example: "2",
    why: "agent errors (a refusal, invalid output, too many turns) that abandon a task; 2 retries it once (default 2)",
  },
  PAUL_TASK_BUILD_FAILURES: {
    schema: int(1, 20),
    example: "2",
    why: "typecheck, build or install failures in a row that pause a task for a person (default 2)",
  },
  PAUL_TASK_MAX_REVIEWS: {
    schema: int(0, 20),
    example: "2",
    why: "reviewer passes per task; after them a passing attempt merges on its gates alone (default 2)",
  },
  PAUL_REVIEW_MIN_SIZE: {
    schema: SizeSchema,
    example: "M",
    why: "tasks of this size and larger (XS, S, M, L, XL) get a reviewer pass before they merge (default M)",
  },
  PAUL_CODER_CHEAP_MAX_SIZE: {
    schema: SizeSchema,
    example: "S",
    why: "tasks up to this size (XS, S, M, L, XL) start on PAUL_MODEL_CODER_CHEAP, larger ones on PAUL_MODEL_CODER_STRONG (default S)",
  },
  PAUL_CODER_ESCALATE_AFTER: {
    schema: int(0, 20),
    example: "1",
    why: "failed attempts of a task after which its attempts use PAUL_MODEL_CODER_STRONG (default 1)",
  },
  PAUL_FIX_TASKS: {
    schema: int(0, 10),
    example: "2",
    why: "fix tasks per run when the full gates fail on the feature branch after the last wave (default 2)",
  },
  PAUL_FIX_MAX_ATTEMPTS: {
    schema: int(1, 20),
    example: "3",
    why: "coder attempts of each fix task (default 3)",
  },
  PAUL_GATE_TIMEOUT_SECONDS: {
    schema: int(1, 7200),
    example: "600",
    why: "timeout of one gate command (default 600)",
  },
  PAUL_COMMAND_TIMEOUT_SECONDS: {
    schema: int(1, 3600),
    example: "120",
    why: "timeout of one agent command (default 120)",
  },
  PAUL_DB_WAIT_SECONDS: {
    schema: int(0, 3600),
    example: "60",
    why: "how long a run waits for an unreachable database before it stops with `paul resume <run>` (default 60)",
  },
  PAUL_WORKER_CONCURRENCY: {
    schema: int(1, 64),
    example: "4",
    why: "jobs one worker runs at once (default 4)",
  },
  PAUL_WORKER_STALE_SECONDS: {
    schema: int(2, 3600),
    example: "30",
    why: "seconds without a heartbeat before a worker's jobs are taken over (default 30)",
  },
  PAUL_TASK_CONCURRENCY: {
    schema: int(1, 32),
    example: "3",
    why: "implementation tasks of one wave run at once (default 3)",
  },
  GITHUB_TOKEN: {
    schema: z.string().min(10),
    example: "ghp_…",
    why: "to clone private repositories and open pull requests",
    secret: true,
  },
  GITHUB_API_URL: {
    schema: url,
    example: "https://api.github.com",
    why: "GitHub REST API (GitHub Enterprise: https://host/api/v3)",
  },
  GITHUB_URL: {
    schema: z.string().min(1),
    example: "https://github.com",
    why: "where owner/name repositories are cloned from",
  },
  GITHUB_WEBHOOK_SECRET: {
    schema: z.string().min(8, "must be at least 8 characters"),
    example: "a-long-random-string",
    why: "verifies GitHub's webhook deliveries at /github/events on paul serve's port; unset means Paul polls open PRs instead",
    secret: true,
  },
  PAUL_GITHUB_HANDLE: {
    schema: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, "must be a GitHub login, without the @"),
    example: "paul",
    why: "the @mention in a PR comment that asks Paul for a follow-up (default paul)",
  },
  PAUL_GITHUB_POLL_SECONDS: {
    schema: int(1, 3600),
    example: "60",
    why: "how often open PRs are polled (conditional requests) when no webhook secret is set; stretched when the rate limit runs low (default 60)",
  },
  PAUL_CI_FIX_ROUNDS: {
    schema: int(0, 20),
    example: "2",
    why: "rounds of CI repair per PR before Paul asks whether to go on (default 2)",
  },
  PAUL_FOLLOWUP_ASK_LINES: {
    schema: int(0, 1_000_000),
    example: "200",
    why: "a follow-up changing more lines than this asks before it pushes (default 200)",
  },
  PAUL_WATCH_DAYS: {
    schema: int(1, 365),
    example: "14",
    why: "how long after its PR opens Paul watches it for comments and CI (default 14)",
  },
  SLACK_BOT_TOKEN: {
    schema: z.string().min(10),
    example: "xoxb-…",
    why: "the Slack app posts and updates messages with it",
    requiredFor: ["serve"],
    secret: true,
  },
  SLACK_SIGNING_SECRET: {
    schema: z.string().min(8),
    example: "8f742231b10e8888abcd99yyyzzz85a5",
    why: "verifies that requests really come from Slack",
    requiredFor: ["serve"],
    secret: true,
  },
  SLACK_APP_TOKEN: {
    schema: z.string().startsWith("xapp-", "must start with xapp-"),
    example: "xapp-1-…",
    why: "Socket Mode (no public URL needed); unset means the HTTP receiver on PAUL_HTTP_PORT",
    secret: true,
  },
  SLACK_API_URL: { schema: url, example: "https://slack.com/api/", why: "Slack Web API base URL" },
  PAUL_HTTP_PORT: {
    schema: int(1, 65535),
    example: "3000",
    why: "port of the Slack HTTP receiver (default 3000)",
  },
  PAUL_APPROVERS: {
    schema: csv,
    example: "U012AB3CD,S0614TZR7",
    why: "Slack users (U…) or user groups (S…) who may decide any CTA",
  },
} as const satisfies Record<string, VarSpec>;

export type VarName = keyof typeof VARS;

const ModelsSchema = z.object({
  analysis: z.string(),
  approaches: z.string(),
  judge: z.string(),
  planner: z.string(),
  coderCheap: z.string(),
  coderStrong: z.string(),
  reviewer: z.string(),
});

export interface Config {
  databaseUrl: string | undefined;
  home: string;
  workDir: string;
  pgPort: number;
  anthropic: { apiKey: string | undefined; baseURL: string | undefined };
  models: z.infer<typeof ModelsSchema>;
  budget: { usd: number; tokens: number; minutes: number };
  /** How model calls are watched: silence that aborts a call, and how often waiting is told. */
  model: { idleMs: number; noticeMs: number };
  maxCoderAttempts: number;
  /** The implementation's decision thresholds (src/pipeline/implementation/next-step.ts). */
  implementation: {
    /** Agent errors in one generation of a task that abandon it. */
    agentErrors: number;
    /** Typecheck, build or install failures in a row that pause a task. */
    buildFailures: number;
    /** Reviewer passes per generation of a task. */
    maxReviews: number;
    /** The smallest task that gets a reviewer pass. */
    reviewMinSize: Size;
    /** The largest task that starts on the cheap coder model. */
    cheapMaxSize: Size;
    /** Failed attempts of a task (every generation) after which it uses the strong coder model. */
    escalateAfter: number;
    /** Fix tasks per run after the full gates fail, and the attempts of each. */
    fixTasks: number;
    fixAttempts: number;
  };
  gateTimeoutMs: number;
  commandTimeoutMs: number;
  workerConcurrency: number;
  taskConcurrency: number;
  workerStaleSeconds: number;
  dbWaitSeconds: number;
  github: {
    token: string | undefined;
    apiUrl: string;
    webUrl: string;
    webhookSecret: string | undefined;
    /** The @mention that asks for a follow-up, without the @. */
    handle: string;
    pollMs: number;
  };
  /** Work after the PR opens. */
  followup: { ciFixRounds: number; askLines: number; watchDays: number };
  slack: {
    botToken: string | undefined;
    signingSecret: string | undefined;
    appToken: string | undefined;
    apiUrl: string | undefined;
    httpPort: number;
    approvers: string[];
  };
  sandbox: SandboxPolicy;
  redact: Redactor;
}

function networkPolicy(v: string | undefined): NetworkPolicy {
  if (v === undefined) return { mode: "allow", hosts: DEFAULT_ALLOWED_HOSTS };
  if (v === "on" || v === "off") return { mode: v };
  return {
    mode: "allow",
    hosts: v
      .split(",")
      .map((h) => h.trim())
      .filter(Boolean),
  };
}

/** A size variable's value (already checked against SizeSchema), or its default. */
function sizeVar(value: unknown, fallback: Size): Size {
  const parsed = SizeSchema.safeParse(value);
  return parsed.success ? parsed.data : fallback;
}

function describe(name: VarName, spec: VarSpec, problem: string, command: Command): string {
  const why = spec.requiredFor?.includes(command)
    ? `needed for \`paul ${command}\`: ${spec.why}`
    : spec.why;
  return `  ${name}: ${problem}\n    why: ${why}\n    example: ${name}=${spec.example}`;
}

const isVarName = (name: string): name is VarName => Object.hasOwn(VARS, name);

/** VARS as [name, spec] pairs: Object.entries would widen the names to string. */
function varEntries(): [VarName, VarSpec][] {
  return Object.keys(VARS).flatMap((name) =>
    isVarName(name) ? [[name, VARS[name]] satisfies [VarName, VarSpec]] : [],
  );
}

export function loadConfig(env: NodeJS.ProcessEnv, command: Command): Config {
  const problems: string[] = [];
  const values: Partial<Record<VarName, unknown>> = {};
  for (const [name, spec] of varEntries()) {
    const raw = env[name];
    if (raw === undefined || raw === "") {
      if (spec.requiredFor?.includes(command))
        problems.push(describe(name, spec, "is not set", command));
      continue;
    }
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) values[name] = parsed.data;
    else
      problems.push(
        describe(
          name,
          spec,
          `is not valid (${parsed.error.issues[0]?.message ?? "invalid"})`,
          command,
        ),
      );
  }
  if (problems.length > 0) {
    throw new PaulError(
      "config_invalid",
      `Paul can't start: configuration problem\n${problems.join("\n")}`,
      {
        hint: "set the variable in your environment (see README, Configuration) and run the command again",
      },
    );
  }
  // Each variable's schema decides its type: strings, numbers, PAUL_APPROVERS a list.
  const str = (n: VarName) => {
    const x = values[n];
    return typeof x === "string" ? x : undefined;
  };
  const numb = (n: VarName, d: number) => {
    const x = values[n];
    return typeof x === "number" ? x : d;
  };
  const list = (n: VarName) => {
    const x = values[n];
    return Array.isArray(x) ? x.filter((s) => typeof s === "string") : [];
  };
  const home = str("PAUL_HOME") ?? join(homedir(), ".paul");
  const secrets = varEntries()
    .filter(([, s]) => s.secret)
    .map(([n]) => str(n));
  return {
    databaseUrl: str("DATABASE_URL"),
    home,
    workDir: join(home, "work"),
    pgPort: numb("PAUL_PG_PORT", 54329),
    anthropic: { apiKey: str("ANTHROPIC_API_KEY"), baseURL: str("ANTHROPIC_BASE_URL") },
    models: {
      analysis: str("PAUL_MODEL_ANALYSIS") ?? "claude-sonnet-5-5",
      approaches: str("PAUL_MODEL_APPROACHES") ?? "claude-sonnet-5-5",
      judge: str("PAUL_MODEL_JUDGE") ?? "claude-sonnet-5-5",
      planner: str("PAUL_MODEL_PLANNER") ?? "claude-sonnet-5-5",
      coderCheap: str("PAUL_MODEL_CODER_CHEAP") ?? "claude-haiku-5-5",
      coderStrong: str("PAUL_MODEL_CODER_STRONG") ?? "claude-sonnet-5-5",
      reviewer: str("PAUL_MODEL_REVIEWER") ?? "claude-sonnet-5-5",
    },
    budget: {
      usd: numb("PAUL_BUDGET_USD", 10),
      tokens: numb("PAUL_BUDGET_TOKENS", 5_000_000),
      minutes: numb("PAUL_BUDGET_MINUTES", 180),
    },
    model: {
      idleMs: numb("PAUL_MODEL_IDLE_SECONDS", 90) * 1000,
      noticeMs: numb("PAUL_MODEL_NOTICE_SECONDS", 15) * 1000,
    },
    maxCoderAttempts: numb("PAUL_MAX_CODER_ATTEMPTS", 5),
    implementation: {
      agentErrors: numb("PAUL_TASK_AGENT_ERRORS", 2),
      buildFailures: numb("PAUL_TASK_BUILD_FAILURES", 2),
      maxReviews: numb("PAUL_TASK_MAX_REVIEWS", 2),
      reviewMinSize: sizeVar(values.PAUL_REVIEW_MIN_SIZE, "M"),
      cheapMaxSize: sizeVar(values.PAUL_CODER_CHEAP_MAX_SIZE, "S"),
      escalateAfter: numb("PAUL_CODER_ESCALATE_AFTER", 1),
      fixTasks: numb("PAUL_FIX_TASKS", 2),
      fixAttempts: numb("PAUL_FIX_MAX_ATTEMPTS", 3),
    },
    gateTimeoutMs: numb("PAUL_GATE_TIMEOUT_SECONDS", 600) * 1000,
    commandTimeoutMs: numb("PAUL_COMMAND_TIMEOUT_SECONDS", 120) * 1000,
    workerConcurrency: numb("PAUL_WORKER_CONCURRENCY", 4),
    taskConcurrency: numb("PAUL_TASK_CONCURRENCY", 3),
    workerStaleSeconds: numb("PAUL_WORKER_STALE_SECONDS", 30),
    dbWaitSeconds: numb("PAUL_DB_WAIT_SECONDS", 60),
    sandbox: {
      enabled: str("PAUL_SANDBOX") !== "off",
      network: networkPolicy(str("PAUL_SANDBOX_NETWORK")),
    },
    github: {
      token: str("GITHUB_TOKEN"),
      apiUrl: str("GITHUB_API_URL") ?? "https://api.github.com",
      webUrl: (str("GITHUB_URL") ?? "https://github.com").replace(/\/+$/, ""),
      webhookSecret: str("GITHUB_WEBHOOK_SECRET"),
      handle: str("PAUL_GITHUB_HANDLE") ?? "paul",
      pollMs: numb("PAUL_GITHUB_POLL_SECONDS", 60) * 1000,
    },
    followup: {
      ciFixRounds: numb("PAUL_CI_FIX_ROUNDS", 2),
      askLines: numb("PAUL_FOLLOWUP_ASK_LINES", 200),
      watchDays: numb("PAUL_WATCH_DAYS", 14),
    },
    slack: {
      botToken: str("SLACK_BOT_TOKEN"),
      signingSecret: str("SLACK_SIGNING_SECRET"),
      appToken: str("SLACK_APP_TOKEN"),
      apiUrl: str("SLACK_API_URL"),
      httpPort: numb("PAUL_HTTP_PORT", 3000),
      approvers: list("PAUL_APPROVERS"),
    },
    // Every credential-looking variable's value too: a repository's passEnv
    // can hand one to its gates, and it must not come back in their output.
    redact: makeRedactor([
      ...secrets,
      ...Object.entries(env)
        .filter(
          ([k, val]) =>
            SECRET_VALUE_NAME.test(k) &&
            val !== undefined &&
            val.length >= 8 &&
            !val.startsWith("/"),
        )
        .map(([, val]) => val),
    ]),
  };
}

const SECRET_WORDS = "(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|PRIVATE_KEY|CREDENTIALS?)";

/** Names whose values are secrets themselves (not the URLs and settings that sit next to them). */
const SECRET_VALUE_NAME = new RegExp(SECRET_WORDS, "i");

/** Names of environment variables that must never reach an agent's or a gate's command. */
export const SECRET_ENV_PATTERN = new RegExp(
  `^(ANTHROPIC_|CLAUDE_|GITHUB_|GH_|SLACK_|DATABASE_URL$|PG[A-Z]*$|PAUL_|NPM_TOKEN$|NODE_AUTH_TOKEN$|AWS_|GOOGLE_|AZURE_|OPENAI_)|${SECRET_WORDS}`,
  "i",
);
