#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError } from "commander";
import pkg from "../../package.json" with { type: "json" };
import { useHostEnv } from "../app.ts";
import { isPaulError, PaulError } from "../errors.ts";
import { runCli } from "./program.ts";

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError("must be a whole number, 1 or more");
  return n;
};
const positiveNumber = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError("must be a number above 0, e.g. 5 or 2.5");
  return n;
};

// The one place the CLI reads its environment: config is parsed from it per
// command, and child processes start from it (scrubbed).
useHostEnv(process.env);

const program = new Command("paul")
  .description("Turn a feature request into a reviewed, gate-passing pull request.")
  .version(pkg.version, "-v, --version", "print Paul's version")
  // Usage errors throw (and exit 2 below) instead of commander's own exit 1.
  // Set before the subcommands are added: they copy it.
  .exitOverride()
  .showSuggestionAfterError()
  .showHelpAfterError("(run `paul --help` for the commands)");

const cli = runCli(process.env, {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
});

program
  .command("build")
  .description("analyse, propose, judge, implement and open a PR for a feature")
  .argument("<feature>", "what to build, in words")
  .requiredOption("--repo <repo>", "a local path, a git URL or owner/name on GitHub")
  .option("--base <branch>", "the branch to build on (default: the repository's default branch)")
  .option("--yes", "approve every step without asking (picks approach 1 unless --approach)")
  .option("--approach <n>", "pick approach n without asking", positiveInt)
  .option("--budget-usd <n>", "stop the run when it has cost this many dollars", positiveNumber)
  .action((feature: string, o) => cli.build(feature, o));

program
  .command("runs")
  .description("list recent runs")
  .option("--limit <n>", "how many", positiveInt, 20)
  .action((o) => cli.runs(o.limit));
program
  .command("show")
  .description("phases, decisions, attempts, gates and cost of a run")
  .argument("<run>")
  .action((id: string) => cli.show(id));
program
  .command("cancel")
  .description("cancel a run")
  .argument("<run>")
  .action((id: string) => cli.cancel(id));
program
  .command("resume")
  .description("continue an interrupted, waiting or failed run")
  .argument("<run>")
  .option("--yes", "approve every step without asking")
  .option("--approach <n>", "pick approach n without asking", positiveInt)
  .option("--budget-usd <n>", "raise the run's budget to this many dollars", positiveNumber)
  .action((id: string, o) => cli.resume(id, o));
program
  .command("followup")
  .description("more work on a finished run's branch: pushed to the same branch and PR")
  .argument("<run>", "the run whose branch to continue")
  .argument("<request>", "what to change, in words")
  .option("--yes", "push without asking, even when the change is large")
  .option(
    "--budget-usd <n>",
    "stop the follow-up when it has cost this many dollars",
    positiveNumber,
  )
  .action((id: string, request: string, o) => cli.followup(id, request, o));
program
  .command("worker")
  .description("run a worker that executes phase jobs (for more machines)")
  .option("--concurrency <n>", "jobs at once", positiveInt)
  .action((o) => cli.worker(o.concurrency));
program
  .command("serve")
  .description("the Slack app (/paul commands, run threads, buttons) with a worker")
  .option("--concurrency <n>", "jobs the worker runs at once", positiveInt)
  // Loaded only for `serve`: Bolt is most of the CLI's start-up time.
  .action(async (o) =>
    (await import("./serve.ts")).serve(
      process.env,
      { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) },
      o,
    ),
  );
program
  .command("migrate")
  .description("apply database migrations")
  .action(() => cli.migrate());
program
  .command("demo")
  .description(
    "the whole pipeline on a sample repository, with a recorded model (no key, no network)",
  )
  .action(() => cli.demo());

try {
  await program.parseAsync(process.argv);
  process.exitCode = cli.exitCode();
} catch (e) {
  if (e instanceof CommanderError) {
    // Commander has already printed the message (or the help, or the version).
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    report(e);
  }
}

function report(e: unknown): void {
  const err = isPaulError(e)
    ? e
    : new PaulError("internal", e instanceof Error ? e.message : String(e));
  process.stderr.write(`paul: ${cli.redact(err.toUserText())}\n`);
  if (err.code === "internal" && e instanceof Error && e.stack)
    process.stderr.write(`${cli.redact(e.stack)}\n`);
  const usage = [
    "config_invalid",
    "bad_input",
    "repo_unreachable",
    "base_branch_missing",
    "not_found",
    "gate_missing",
    "sandbox_unavailable",
  ];
  process.exitCode = usage.includes(err.code) ? 2 : 1;
}
// Exit explicitly, once output is flushed: idle pool timers and sockets must
// not keep a finished command alive.
const code = Number(process.exitCode ?? 0);
await new Promise((r) => process.stdout.write("", r));
await new Promise((r) => process.stderr.write("", r));
process.exit(code);
