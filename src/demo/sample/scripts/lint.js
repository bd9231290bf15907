// A tiny linter: no `var`, no console.log in src/.
import { readdirSync, readFileSync } from "node:fs";

let problems = 0;
for (const f of readdirSync("src")) {
  const text = readFileSync(`src/${f}`, "utf8");
  text.split("\n").forEach((line, i) => {
    if (/\bvar\s/.test(line)) {
      console.error(`src/${f}:${i + 1}: use let or const instead of var`);
      problems++;
    }
    if (/console\.log/.test(line)) {
      console.error(`src/${f}:${i + 1}: no console.log in library code`);
      problems++;
    }
  });
}
if (problems > 0) process.exit(1);
console.log("lint: ok");
