// What the sandbox allows, apart from the runtime that enforces it: config
// parses into these without loading the runtime.
export type NetworkPolicy = { mode: "on" } | { mode: "off" } | { mode: "allow"; hosts: string[] };

export interface SandboxPolicy {
  /** false only when the user opted out (PAUL_SANDBOX=off). */
  enabled: boolean;
  network: NetworkPolicy;
}

/** Where package managers and the common forges fetch from. */
export const DEFAULT_ALLOWED_HOSTS = [
  "registry.npmjs.org",
  "registry.yarnpkg.com",
  "repo.yarnpkg.com",
  "registry.npmmirror.com",
  "nodejs.org",
  "pypi.org",
  "files.pythonhosted.org",
  "crates.io",
  "index.crates.io",
  "static.crates.io",
  "proxy.golang.org",
  "sum.golang.org",
  "rubygems.org",
  "repo.maven.apache.org",
  "repo1.maven.org",
  "github.com",
  "codeload.github.com",
  "objects.githubusercontent.com",
];

let policy: SandboxPolicy = {
  enabled: true,
  network: { mode: "allow", hosts: DEFAULT_ALLOWED_HOSTS },
};

/** Set once at start-up from the config (and by tests); the runtime reads it when it starts. */
export function setSandboxPolicy(p: SandboxPolicy): void {
  policy = p;
}

export function sandboxPolicy(): SandboxPolicy {
  return policy;
}
