#!/usr/bin/env node
// Plain JavaScript, no TypeScript: this file must run on any Node, if only to
// say which Node Paul needs. Paul itself is TypeScript run by Node's own type
// stripping (22.18+).
const NEED = [22, 18];
const found = process.versions.node;
const [major = 0, minor = 0] = found.split(".").map(Number);
if (major < NEED[0] || (major === NEED[0] && minor < NEED[1])) {
  process.stderr.write(
    `paul: Paul needs Node.js ${NEED.join(".")} or newer; this is Node.js ${found} (${process.execPath}).\n` +
      "→ from Paul's checkout, run `npm run paul -- <command>`: it uses the Node 22 that `npm install` put in node_modules. Or install Node 22.18+ and run `paul` again.\n",
  );
  process.exit(2);
}
const main = new URL("../src/cli/main.ts", import.meta.url);
if (main.pathname.includes("/node_modules/")) {
  // Node does not strip types from files under node_modules.
  process.stderr.write(
    `paul: Paul runs from a checkout, not from a packed install (found it in ${main.pathname}).\n` +
      "→ clone Paul, run `npm install` there, then `npm link` (or `npm install -g <checkout>`) to put `paul` on your PATH.\n",
  );
  process.exit(2);
}
await import(main.href);
