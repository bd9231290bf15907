import type Anthropic from "@anthropic-ai/sdk";
import type { Octokit } from "@octokit/rest";
import type { Config } from "../config.ts";
import type { Pool } from "../db/pool.ts";

/** What every job needs, built once per process and passed down. */
export interface Deps {
  cfg: Config;
  pool: Pool;
  /** Built lazily: reading runs and CTAs needs no model key. */
  model: () => Anthropic;
  github: () => Octokit;
}
