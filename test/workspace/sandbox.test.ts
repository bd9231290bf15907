import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { execCommand, type Sandbox } from "../../src/workspace/exec.ts";
import { hostEnv, setHostEnv } from "../../src/workspace/host.ts";
import { commandEnv, sandboxFor, workspacePaths } from "../../src/workspace/paths.ts";
import { ensureMirror, resolveRepoSpec } from "../../src/workspace/repo.ts";
import { stopSandbox } from "../../src/workspace/sandbox.ts";
import { setSandboxPolicy } from "../../src/workspace/sandbox-policy.ts";
import { createWorktree, touchedFiles } from "../../src/workspace/worktree.ts";
import { makeRemote, removeFixtures, tempDir } from "../support/git-fixtures.ts";
import { processesMatching } from "../support/procs.ts";

// Adversarial commands, each as a coder's bash tool or a gate would run them,
// through the real sandbox. Each asserts what must not happen: no secret seen,
// nothing changed outside the worktree, no program run by Paul's own git, no
// process left behind.

let paulHome: string;
let mirror: string;
let dir: string;
let sandbox: Sandbox;
let env: Record<string, string>;
let outside: string;
let initial: string;
let bare: string;
const originalHost = { ...hostEnv() };

/** The user's own tools: a tool under a home-like ~/.local/bin, and a private CA file. */
let toolHome: string;
let caFile: string;
let credFile: string;

const run = (command: string, timeoutMs = 20_000) =>
  execCommand(command, { cwd: dir, timeoutMs, env, sandbox });

const hash = async (p: string) =>
  createHash("sha256")
    .update(await readFile(p))
    .digest("hex");

const leftover = (marker: string): string => processesMatching(marker).join("\n");

beforeAll(async () => {
  paulHome = await tempDir("paul-home-");
  outside = await tempDir("paul-outside-");
  await writeFile(join(paulHome, "secret.txt"), "paul-home-secret-0001\n");
  await writeFile(join(outside, "secret.txt"), "outside-secret-0002\n");
  toolHome = await tempDir("paul-toolhome-");
  await mkdir(join(toolHome, ".local/bin"), { recursive: true });
  await writeFile(join(toolHome, ".local/bin/mytool"), "#!/bin/sh\necho mytool-ran\n");
  await chmod(join(toolHome, ".local/bin/mytool"), 0o755);
  // A credential file that sits inside a visible toolchain root: still hidden.
  credFile = join(toolHome, ".local/service-credentials.json");
  await writeFile(credFile, "credential-file-0003\n");
  caFile = join(outside, "corp-ca.pem");
  await writeFile(caFile, "-----BEGIN CERTIFICATE-----corp-ca-0004\n");
  setHostEnv({
    ...originalHost,
    PATH: `${join(toolHome, ".local/bin")}:${originalHost.PATH ?? "/usr/bin:/bin"}`,
    NODE_EXTRA_CA_CERTS: caFile,
    MY_SERVICE_TOKEN_FILE: credFile,
    MY_SERVICE_TOKEN: "token-value-0005",
  });
  const workDir = join(paulHome, "work");
  const fx = await makeRemote({ "a.txt": "a\n" });
  initial = fx.initial;
  bare = fx.bare;
  mirror = await ensureMirror(resolveRepoSpec(fx.bare, { githubWebUrl: "x", cwd: "/" }), workDir);
  const paths = workspacePaths(workDir, "r1");
  dir = paths.implDir;
  await createWorktree(mirror, dir, "paul/r1", fx.initial);
  sandbox = sandboxFor({
    home: paulHome,
    workDir,
    root: dir,
    mirror,
    sandboxHome: paths.homeDir,
  });
  env = commandEnv({ sandboxHome: paths.homeDir, workDir });
});

afterAll(async () => {
  setHostEnv(originalHost);
  await stopSandbox();
  await removeFixtures();
});

describe("no way out", () => {
  it("a daemon started with setsid, nohup or a double fork dies with its command", async () => {
    const r = await run(
      "setsid nohup sleep 311 >/dev/null 2>&1 & (sleep 312 &) ; (setsid sh -c 'sleep 313' &) ; echo started",
    );
    expect(r.output).toContain("started");
    await new Promise((res) => setTimeout(res, 300));
    expect(leftover("sleep 31[123]")).toBe("");
  });

  it("a command past its timeout is killed with everything it started", async () => {
    const r = await run("(setsid sleep 321 &) ; sleep 322", 1500);
    expect(r.timedOut).toBe(true);
    await new Promise((res) => setTimeout(res, 300));
    expect(leftover("sleep 32[12]")).toBe("");
  });

  it("/proc shows only the sandbox's own processes; no other environ is readable", async () => {
    const r = await run(
      "ls /proc | grep -cE '^[0-9]+$'; cat /proc/*/cmdline 2>/dev/null | tr '\\0' ' ' | grep -c 'vites[t]'; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c 'MY_SERVICE_TOKE[N]='",
    );
    const [count, paul, leaked] = r.output.trim().split("\n").map(Number);
    // The runtime's own helpers (proxy bridges) and the command: no host process.
    expect(count).toBeLessThan(20);
    expect(paul).toBe(0);
    expect(leaked).toBe(0);
    expect(r.output).not.toContain("token-value-0005");
  });

  it("the git directory is read-only: no config, hooks, filters, worktree config or .git swap", async () => {
    const configBefore = await hash(join(mirror, "config"));
    const r = await run(
      [
        "git config core.hooksPath /tmp/evil-hooks",
        "git config filter.pwn.clean 'touch /tmp/pwned-by-filter; cat'",
        "git config core.fsmonitor 'touch /tmp/pwned-by-fsmonitor'",
        "git config extensions.worktreeConfig true",
        'echo "touch /tmp/pwned-by-hook" > "$(git rev-parse --git-dir)/hooks/post-checkout"',
        'echo "[filter \\"pwn\\"]" >> "$(git rev-parse --git-common-dir)/config"',
        "rm -f .git",
        "echo 'gitdir: /tmp/evil-git' > .git",
        "printf '* filter=pwn\\n' > .gitattributes",
        "echo changed > a.txt",
        "git status --porcelain; git log --format=%H -1; git diff --stat",
      ].join("; "),
    );
    // Reading history still works.
    expect(r.output).toContain(initial);
    expect(r.output).toContain("a.txt");
    expect(await hash(join(mirror, "config"))).toBe(configBefore);
    expect(existsSync(join(mirror, "hooks/post-checkout"))).toBe(false);
    expect((await readFile(join(dir, ".git"), "utf8")).startsWith("gitdir: ")).toBe(true);
    expect(await readFile(join(dir, ".git"), "utf8")).not.toContain("/tmp/evil-git");
    // Paul's own git, on the host, over what the agent left: runs nothing of it.
    const files = await touchedFiles(dir, initial);
    expect(files).toEqual(expect.arrayContaining([".gitattributes", "a.txt"]));
    for (const m of ["pwned-by-filter", "pwned-by-fsmonitor", "pwned-by-hook"])
      expect(existsSync(join("/tmp", m)), m).toBe(false);
  });

  it("symlinks to Paul's home and to /etc read nothing hidden and write nothing outside", async () => {
    const r = await run(
      [
        `ln -sf ${join(paulHome, "secret.txt")} home-link`,
        "cat home-link",
        `cat ${join(outside, "secret.txt")}`,
        "ln -sfn /etc etc-link",
        "echo evil > etc-link/paul-planted",
        "echo evil > /usr/paul-planted",
        `echo evil > ${join(outside, "planted")}`,
      ].join("; "),
    );
    expect(r.output).not.toContain("paul-home-secret-0001");
    expect(r.output).not.toContain("outside-secret-0002");
    expect(existsSync("/etc/paul-planted")).toBe(false);
    expect(existsSync("/usr/paul-planted")).toBe(false);
    expect(existsSync(join(outside, "planted"))).toBe(false);
  });

  it("pushing to the base branch from inside the sandbox changes nothing on the remote", async () => {
    const before = execFileSync("git", ["--git-dir", bare, "rev-parse", "main"], {
      encoding: "utf8",
    });
    await run(
      "echo pushed > pushed.txt; git -c user.name=x -c user.email=x@x commit -qam evil; git push -q origin HEAD:main; git push -q --force origin HEAD:refs/heads/main",
    );
    const after = execFileSync("git", ["--git-dir", bare, "rev-parse", "main"], {
      encoding: "utf8",
    });
    expect(after).toBe(before);
  });

  it("credential stores under the home are hidden, whatever else is visible", () => {
    for (const store of [
      ".ssh",
      ".aws",
      ".config/gh",
      ".docker",
      ".netrc",
      ".npmrc",
      ".pypirc",
      ".git-credentials",
      ".kube",
    ])
      expect(sandbox.hide).toContain(join(homedir(), store));
    expect(sandbox.hide).toContain(paulHome);
  });

  it("a file named by a credential variable stays hidden, even inside a visible toolchain", async () => {
    const r = await run(`cat ${credFile}; echo "[$MY_SERVICE_TOKEN]"`);
    expect(r.output).not.toContain("credential-file-0003");
    expect(r.output).toContain("[]");
  });
});

describe("the user's tools are there", () => {
  it("a tool on the PATH under a home's ~/.local/bin runs inside the sandbox", async () => {
    const r = await run("mytool");
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toContain("mytool-ran");
  });

  it("NODE_EXTRA_CA_CERTS passes, and the file it names is readable", async () => {
    const r = await run('echo "$NODE_EXTRA_CA_CERTS"; cat "$NODE_EXTRA_CA_CERTS"');
    expect(r.output).toContain(caFile);
    expect(r.output).toContain("corp-ca-0004");
  });
});

describe("passEnv", () => {
  it("a variable the repository names reaches its commands; Paul redacts its value from what it writes", async () => {
    const passEnv = commandEnv({
      sandboxHome: env.HOME ?? "/tmp",
      workDir: join(paulHome, "work"),
      pass: ["MY_SERVICE_TOKEN"],
    });
    const r = await execCommand('echo "token=$MY_SERVICE_TOKEN"', {
      cwd: dir,
      timeoutMs: 20_000,
      env: passEnv,
      sandbox,
    });
    expect(r.output).toContain("token=token-value-0005");
    const cfg = loadConfig(hostEnv(), "read");
    expect(cfg.redact(r.output)).not.toContain("token-value-0005");
  });
});

describe("network policy", () => {
  const servers: Server[] = [];
  const listen = (host: string) =>
    new Promise<number>((resolve) => {
      const s = createServer((_q, res) => res.end(`hello from ${host}`));
      servers.push(s);
      s.listen(0, host, () => {
        const a = s.address();
        resolve(typeof a === "object" && a ? a.port : 0);
      });
    });
  afterAll(async () => {
    for (const s of servers) s.close();
    await stopSandbox();
    setSandboxPolicy({ enabled: true, network: { mode: "allow", hosts: [] } });
  });
  const curl = (host: string, port: number) =>
    run(`curl -s -m 5 http://${host}:${port}/ || echo "curl failed $?"`);

  it("an allow-list lets one server through and not the other", async () => {
    const allowed = await listen("127.0.0.2");
    const denied = await listen("127.0.0.3");
    await stopSandbox();
    setSandboxPolicy({
      enabled: true,
      network: { mode: "allow", hosts: [`127.0.0.2:${allowed}`] },
    });
    expect((await curl("127.0.0.2", allowed)).output).toContain("hello from 127.0.0.2");
    const blocked = await curl("127.0.0.3", denied);
    expect(blocked.output).not.toContain("hello from");
    // And not around the proxy either: the command has no network of its own.
    const direct = await run(
      `curl -s -m 5 --noproxy '*' http://127.0.0.3:${denied}/ || echo no-route`,
    );
    expect(direct.output).not.toContain("hello from");
  });

  it("off blocks every host; on lets any through", async () => {
    const port = await listen("127.0.0.4");
    await stopSandbox();
    setSandboxPolicy({ enabled: true, network: { mode: "off" } });
    expect((await curl("127.0.0.4", port)).output).not.toContain("hello from");
    await stopSandbox();
    setSandboxPolicy({ enabled: true, network: { mode: "on" } });
    expect((await curl("127.0.0.4", port)).output).toContain("hello from 127.0.0.4");
  });
});
