import type Anthropic from "@anthropic-ai/sdk";
import { invariant, PaulError } from "../errors.ts";
import { streamSettingsOf, toModelError } from "./client.ts";
import {
  describeIssues,
  SUBMIT_TOOL,
  submitToolDefinition,
  summaryOf,
  toParams,
  withRollingCache,
} from "./messages.ts";
import { costOf } from "./pricing.ts";
import { streamMessage } from "./stream.ts";
import type { AgentResult, AgentTool, RunAgentOptions, UsageRecord } from "./types.ts";

export type {
  AgentEvent,
  AgentResult,
  AgentTool,
  RunAgentOptions,
  ToolOutput,
  UsageRecord,
  UsageSink,
} from "./types.ts";

const NO_SUBMIT =
  `You ended your turn without calling ${SUBMIT_TOOL}. ` +
  `Call ${SUBMIT_TOOL} now with your final result; it is the only way your work is received.`;

/**
 * The tool-use loop: call the model, run the tools it asks for, repeat until
 * it submits a result that passes the schema. Failures a run can expect
 * (API errors, budget, refusals, bad output) come back as `ok: false`.
 */
export async function runAgent<T>(o: RunAgentOptions<T>): Promise<AgentResult<T>> {
  const maxTurns = o.maxTurns ?? 40;
  const maxRepairs = o.maxRepairs ?? 3;
  const tools = toolTable(o.tools);
  const settings = streamSettingsOf(o.client);
  // Tools, system and context form the stable prefix; mark its end in both places
  // (the submit tool is always the last definition).
  const definitions: Anthropic.Messages.ToolUnion[] = [
    ...o.tools.map((t) => t.definition),
    { ...submitToolDefinition(o.output), cache_control: { type: "ephemeral" } },
  ];
  const messages: Anthropic.Messages.MessageParam[] = [
    {
      role: "user",
      content: [
        { type: "text", text: o.context, cache_control: { type: "ephemeral" } },
        { type: "text", text: o.prompt },
      ],
    },
  ];
  let repairs = 0;
  let lastText = "";
  let turns = 0;
  const fail = (error: PaulError) => ({
    ok: false as const,
    error,
    turns,
    summary: lastText,
    messages,
  });

  while (turns < maxTurns) {
    if (o.signal?.aborted) return fail(new PaulError("cancelled", "The agent was cancelled."));
    let response: Anthropic.Messages.Message;
    try {
      await o.usage.beforeCall();
      const started = performance.now();
      response = await streamMessage(
        o.client,
        settings,
        {
          model: o.model,
          max_tokens: o.maxTokens ?? 16_000,
          system: o.system,
          tools: definitions,
          messages: withRollingCache(messages),
        },
        {
          signal: o.signal,
          onWait: (ms) => o.onEvent?.({ kind: "waiting", seconds: Math.round(ms / 1000) }),
        },
      );
      turns++;
      await o.usage.record(usageRecord(o, response, performance.now() - started));
    } catch (e) {
      return fail(toModelError(e, o.client));
    }
    messages.push({ role: "assistant", content: toParams(response.content) });
    for (const b of response.content) {
      if (b.type === "text" && b.text.trim()) {
        lastText = b.text.trim();
        o.onEvent?.({ kind: "text", text: b.text });
      }
    }
    if (response.stop_reason === "refusal") {
      return fail(
        new PaulError("model_refused", `The ${o.role} agent declined the task.`, {
          hint: "rephrase the request; the model refused to continue with it",
        }),
      );
    }

    const uses = response.content.filter((b) => b.type === "tool_use");
    if (uses.length === 0) {
      if (++repairs > maxRepairs) {
        return fail(invalid(o.role, `it ended ${repairs} turns without calling ${SUBMIT_TOOL}`));
      }
      const cutOff =
        response.stop_reason === "max_tokens" ? "Your answer was cut off (max_tokens). " : "";
      messages.push({ role: "user", content: [{ type: "text", text: cutOff + NO_SUBMIT }] });
      continue;
    }

    const results: Anthropic.Messages.ToolResultBlockParam[] = [];
    let accepted: { output: T } | undefined;
    let problem: string | undefined;
    for (const use of uses) {
      o.onEvent?.({ kind: "tool", name: use.name, input: use.input });
      if (use.name === SUBMIT_TOOL) {
        const parsed = accepted ? undefined : o.output.safeParse(use.input);
        if (!parsed || parsed.success) {
          if (parsed) accepted = { output: parsed.data };
          results.push({ type: "tool_result", tool_use_id: use.id, content: "Result accepted." });
        } else {
          problem = describeIssues(parsed.error);
          results.push({
            type: "tool_result",
            tool_use_id: use.id,
            is_error: true,
            content: `${SUBMIT_TOOL} input is invalid:\n${problem}\nFix these and call ${SUBMIT_TOOL} again.`,
          });
        }
        continue;
      }
      const out = await runTool(tools, use.name, use.input, o.signal);
      results.push({
        type: "tool_result",
        tool_use_id: use.id,
        content: out.content || "(no output)",
        ...(out.isError ? { is_error: true } : {}),
      });
    }
    // Every tool_use is answered in the next user message, even on the way out.
    messages.push({ role: "user", content: results });
    if (accepted) {
      return {
        ok: true,
        output: accepted.output,
        turns,
        summary: summaryOf(accepted.output, lastText),
        messages,
      };
    }
    if (problem !== undefined && ++repairs > maxRepairs) {
      return fail(invalid(o.role, `its ${SUBMIT_TOOL} input was still invalid:\n${problem}`));
    }
  }
  return fail(
    new PaulError("agent_failed", `The ${o.role} agent did not finish within ${maxTurns} turns.`, {
      hint: "the task may be too large for one agent; narrow it or split it",
    }),
  );
}

function invalid(role: string, what: string): PaulError {
  return new PaulError(
    "model_invalid_output",
    `The ${role} agent did not produce a valid result: ${what}`,
  );
}

function toolTable(tools: AgentTool[]): Map<string, AgentTool> {
  const table = new Map<string, AgentTool>();
  for (const t of tools) {
    const name = "name" in t.definition ? t.definition.name : t.definition.type;
    invariant(
      name !== SUBMIT_TOOL && !table.has(name),
      `runAgent: tool name "${name}" is reserved or given twice`,
    );
    table.set(name, t);
  }
  return table;
}

async function runTool(
  tools: Map<string, AgentTool>,
  name: string,
  input: unknown,
  signal: AbortSignal | undefined,
): Promise<{ content: string; isError?: boolean }> {
  const tool = tools.get(name);
  if (!tool) {
    return {
      content: `Unknown tool "${name}". Available: ${[...tools.keys(), SUBMIT_TOOL].join(", ")}`,
      isError: true,
    };
  }
  try {
    return await tool.run(input, signal);
  } catch (e) {
    // A tool bug must not leave a tool_use unanswered; the model sees it as a failed call.
    return {
      content: `Tool ${name} failed: ${e instanceof Error ? e.message : String(e)}`,
      isError: true,
    };
  }
}

function usageRecord<T>(
  o: RunAgentOptions<T>,
  r: Anthropic.Messages.Message,
  latencyMs: number,
): UsageRecord {
  const tokens = {
    inputTokens: r.usage.input_tokens,
    outputTokens: r.usage.output_tokens,
    cacheReadTokens: r.usage.cache_read_input_tokens ?? 0,
    cacheWriteTokens: r.usage.cache_creation_input_tokens ?? 0,
  };
  return {
    model: o.model,
    role: o.role,
    ...tokens,
    costUsd: costOf(o.model, tokens),
    latencyMs: Math.round(latencyMs),
  };
}
