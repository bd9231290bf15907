import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { z } from "zod";
import type { AgentTool, UsageRecord, UsageSink } from "../../src/agents/index.ts";
import { createModelClient } from "../../src/agents/index.ts";
import { PaulError } from "../../src/errors.ts";
import {
  type ModelServer,
  type ModelServerOptions,
  startModelServer,
} from "../support/fake-anthropic.ts";

export const KEY = "sk-ant-test-0123456789abcdef";
export const MODEL = "claude-sonnet-5-5";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export async function serve(respond: ModelServerOptions["respond"]): Promise<ModelServer> {
  const server = await startModelServer({ apiKey: KEY, respond });
  cleanups.push(() => server.close());
  return server;
}

/** A client that retries quickly, so retry tests take milliseconds. */
export function clientFor(server: ModelServer, opts: { maxRetries?: number; key?: string } = {}) {
  return createModelClient({
    apiKey: opts.key ?? KEY,
    baseURL: server.url,
    maxRetries: opts.maxRetries ?? 4,
    retryDelayMs: 5,
    timeoutMs: 10_000,
  });
}

export function recordingSink(opts: { budgetCalls?: number } = {}) {
  const records: UsageRecord[] = [];
  let calls = 0;
  const sink: UsageSink = {
    async beforeCall() {
      calls++;
      if (opts.budgetCalls !== undefined && calls > opts.budgetCalls) {
        throw new PaulError("budget_exhausted", "Budget reached for run r1: $1.00 of $1.00");
      }
    },
    async record(u) {
      records.push(u);
    },
  };
  return { sink, records, calls: () => calls };
}

export async function tempDir(prefix = "paul-agents-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export const Output = z.object({ summary: z.string(), files: z.array(z.string()).min(1) });

/** Options for an analysis-like agent against `server`. */
export function base(server: Awaited<ReturnType<typeof serve>>, tools: AgentTool[] = []) {
  const usage = recordingSink();
  return {
    usage,
    opts: {
      client: clientFor(server),
      model: MODEL,
      role: "analysis",
      system: "You analyse repositories. [paul-role: analysis]",
      context: "Repository facts: a TypeScript project.",
      prompt: "Find the file that defines add().",
      tools,
      output: Output,
      usage: usage.sink,
    },
  };
}
