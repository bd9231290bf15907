export {
  type CallSite,
  createModelClient,
  DEFAULT_BASE_URL,
  ModelClient,
  type ModelClientConfig,
  toModelError,
} from "./client.ts";
export { BASH_TOOL, type CoderToolOptions, coderTools, EDITOR_TOOL } from "./coder-tools.ts";
export {
  type AgentEvent,
  type AgentResult,
  type AgentTool,
  type RunAgentOptions,
  runAgent,
  type ToolOutput,
  type UsageRecord,
  type UsageSink,
} from "./loop.ts";
export { SUBMIT_TOOL } from "./messages.ts";
export { resolveInside, ToolError } from "./paths.ts";
export { costOf, type Price, priceOf, type TokenUsage } from "./pricing.ts";
export { type StreamSettings, streamMessage } from "./stream.ts";
export { parseReadonly, type ReadOnlyToolOptions, readOnlyTools } from "./tools.ts";
