import { readdirSync, readFileSync } from "node:fs";

/**
 * Command lines of live processes containing `marker`, read from /proc (no
 * procps needed: a fresh machine may have no pgrep, and a missing tool must
 * not read as "no processes left").
 */
export function processesMatching(marker: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
      continue; // gone meanwhile
    }
    if (cmd.includes(marker)) out.push(`${pid} ${cmd}`);
  }
  return out;
}
