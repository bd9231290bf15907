import type Anthropic from "@anthropic-ai/sdk";
import type { z } from "zod";
import type { PaulError } from "../errors.ts";

export interface ToolOutput {
  content: string;
  isError?: boolean;
}

export interface AgentTool {
  definition: Anthropic.Messages.ToolUnion;
  run(input: unknown, signal?: AbortSignal): Promise<ToolOutput>;
}

export interface UsageRecord {
  model: string;
  role: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  latencyMs: number;
}

export interface UsageSink {
  /** throws PaulError('budget_exhausted') when the run's budget is spent */
  beforeCall(): Promise<void>;
  record(u: UsageRecord): Promise<void>;
}

export type AgentEvent =
  | { kind: "tool"; name: string; input: unknown }
  | { kind: "text"; text: string }
  /** A model call has been going this long without a complete answer; sent every few seconds. */
  | { kind: "waiting"; seconds: number };

export interface RunAgentOptions<T> {
  client: Anthropic;
  model: string;
  role: string;
  system: string;
  /** The stable, cached part of the task (repository facts, memories, the approach). */
  context: string;
  prompt: string;
  tools: AgentTool[];
  output: z.ZodType<T>;
  usage: UsageSink;
  /** Default 40. */
  maxTurns?: number;
  /** Invalid submissions or turns ended without one that are sent back. Default 3. */
  maxRepairs?: number;
  /** Default 16000. */
  maxTokens?: number;
  signal?: AbortSignal;
  onEvent?: (e: AgentEvent) => void;
}

type Messages = Anthropic.Messages.MessageParam[];

export type AgentResult<T> =
  | { ok: true; output: T; turns: number; summary: string; messages: Messages }
  | { ok: false; error: PaulError; turns: number; summary: string; messages: Messages };
