import type Anthropic from "@anthropic-ai/sdk";
import { createModelClient } from "./agents/index.ts";
import { type Command, type Config, loadConfig } from "./config.ts";
import { type Database, openDatabase } from "./db/open.ts";
import { PaulError } from "./errors.ts";
import { createGitHub } from "./github/client.ts";
import type { Deps } from "./pipeline/deps.ts";
import { type RunService, runService } from "./pipeline/service.ts";
import { setHostEnv } from "./workspace/host.ts";
import { setSandboxPolicy } from "./workspace/sandbox-policy.ts";

/**
 * The composition root: what a process builds once at start-up from its
 * config, and hands to its face. Faces reach the pipeline through `service`.
 */
export interface App {
  cfg: Config;
  db: Database;
  deps: Deps;
  service: RunService;
  close(): Promise<void>;
}

/**
 * The process's environment, read once: child processes start from it
 * (scrubbed), and config is parsed from it per command. The sandbox policy
 * is process-wide, like the environment it protects.
 */
export function configure(env: NodeJS.ProcessEnv, command: Command): Config {
  const cfg = loadConfig(env, command);
  setSandboxPolicy(cfg.sandbox);
  return cfg;
}

export function useHostEnv(env: NodeJS.ProcessEnv): void {
  setHostEnv(env);
}

/** The database opened and migrated, dependencies built lazily, from config parsed once. */
export async function openAppWith(cfg: Config, log: (s: string) => void): Promise<App> {
  const db = await openDatabase(cfg, { log });
  let model: Anthropic | undefined;
  const deps: Deps = {
    cfg,
    pool: db.pool,
    model: () => {
      if (!cfg.anthropic.apiKey) {
        throw new PaulError(
          "config_invalid",
          "ANTHROPIC_API_KEY is not set, so no agent can run.",
          {
            hint: "export ANTHROPIC_API_KEY=sk-ant-… and run the command again",
          },
        );
      }
      model ??= createModelClient({
        apiKey: cfg.anthropic.apiKey,
        idleMs: cfg.model.idleMs,
        waitNoticeMs: cfg.model.noticeMs,
        ...(cfg.anthropic.baseURL ? { baseURL: cfg.anthropic.baseURL } : {}),
      });
      return model;
    },
    github: () =>
      createGitHub({
        ...(cfg.github.token ? { token: cfg.github.token } : {}),
        apiUrl: cfg.github.apiUrl,
      }),
  };
  return { cfg, db, deps, service: runService(deps), close: () => db.close() };
}
