import { userInfo } from "node:os";

export interface BuildRequest {
  feature: string;
  repo: string;
  base?: string | undefined;
  budgetUsd?: number | undefined;
}

export function cliUser(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli:unknown";
  }
}
