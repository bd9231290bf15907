import { join } from "node:path";
import { workspacePaths } from "./paths.ts";

/** The read-only checkout of a run's base commit that analysis, approaches and judges read. */
export function baseCheckoutDir(workDir: string, runId: string): string {
  return join(workspacePaths(workDir, runId).runDir, "base");
}
