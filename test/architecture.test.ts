import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { countCasts, type Finding } from "../scripts/casts.ts";
import { byPhase, jobCatalog, PHASE_ORDER, PHASES } from "../src/pipeline/phases.ts";
import { taskList } from "../tasks/index.ts";

/**
 * The house rules of ARCHITECTURE.md, checked on the source itself: a rule
 * that is only written down is broken by the first change in a hurry.
 */
const ROOT = resolve(import.meta.dirname, "..");

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));
}

interface Import {
  file: string;
  target: string;
  typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Import[] = [];
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) && !ts.isExportDeclaration(st)) continue;
    const spec = st.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith(".")) continue;
    const typeOnly = ts.isImportDeclaration(st)
      ? (st.importClause?.isTypeOnly ?? false) ||
        (st.importClause?.namedBindings !== undefined &&
          ts.isNamedImports(st.importClause.namedBindings) &&
          st.importClause.name === undefined &&
          st.importClause.namedBindings.elements.length > 0 &&
          st.importClause.namedBindings.elements.every((e) => e.isTypeOnly))
      : st.isTypeOnly;
    out.push({
      file,
      target: relative(ROOT, resolve(ROOT, dirname(file), spec.text)),
      typeOnly,
    });
  }
  return out;
}

const SRC = [...sources("src"), ...sources("tasks")];
const IMPORTS = SRC.flatMap(importsOf);
const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

describe("the direction of the arrows", () => {
  it("faces import nothing from the workspace, GitHub or the queue (types aside)", () => {
    const crossing = IMPORTS.filter(
      (i) =>
        !i.typeOnly &&
        (under(i.file, "src/slack") || under(i.file, "src/cli")) &&
        ["src/workspace", "src/github", "src/queue"].some((d) => under(i.target, d)),
    ).map((i) => `${i.file} → ${i.target}`);
    expect(crossing).toEqual([]);
  });

  it("the pipeline never imports a face", () => {
    const crossing = IMPORTS.filter(
      (i) =>
        under(i.file, "src/pipeline") &&
        ["src/slack", "src/cli", "src/app.ts", "src/worker.ts"].some((d) => under(i.target, d)),
    ).map((i) => `${i.file} → ${i.target}`);
    expect(crossing).toEqual([]);
  });

  it("the queue knows nothing of phases, tasks or faces", () => {
    const crossing = IMPORTS.filter(
      (i) =>
        under(i.file, "src/queue") &&
        ["src/pipeline", "tasks", "src/slack", "src/cli"].some((d) => under(i.target, d)),
    ).map((i) => `${i.file} → ${i.target}`);
    expect(crossing).toEqual([]);
  });

  it("SQL lives in src/db and src/queue; graphile-worker's tables only in src/queue", () => {
    const text = (f: string) => readFileSync(join(ROOT, f), "utf8");
    const querying = SRC.filter(
      (f) => !under(f, "src/db") && !under(f, "src/queue") && /\.query(<[^>]*>)?\(/.test(text(f)),
    );
    expect(querying).toEqual([]);
    const private_ = SRC.filter((f) => !under(f, "src/queue") && /graphile_worker\./.test(text(f)));
    expect(private_).toEqual([]);
  });
});

describe("the phase registry", () => {
  it("derives the task list from the job catalog: every phase has its job, and nothing else does", () => {
    const names = jobCatalog().map((j) => j.name);
    for (const p of PHASE_ORDER) expect(names).toContain(p);
    expect(Object.keys(taskList({} as never)).sort()).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
  });

  it("gives every phase a title and a renderer that draws a document", () => {
    const titles = byPhase((p) => p.title);
    for (const p of PHASES) {
      expect(titles[p.name]).toMatch(/^[A-Z]/);
      expect(typeof p.doc).toBe("function");
    }
  });

  it("refuses to render a stored output that does not fit its phase's schema", () => {
    const analysis = PHASES.find((p) => p.name === "analysis");
    expect(() => analysis?.doc({ summary: 3 })).toThrow(/analysis output does not fit/);
  });
});

describe("what the compiler is asked to take on trust", () => {
  const files = SRC.map((f) => join(ROOT, f));

  it("at most 25 `as` casts and 15 non-null `!` in src/, each cast with its reason beside it", () => {
    const { as, nonNull } = countCasts(files);
    expect(as.length).toBeLessThanOrEqual(25);
    expect(nonNull.length).toBeLessThanOrEqual(15);
    const unexplained = as.filter((f) => !commentNear(f.file, f.line)).map(where);
    expect(unexplained).toEqual([]);
  });

  it("no error is swallowed without a comment saying why nothing is lost", () => {
    const swallowing = /\.catch\(\((?:\)|\): [^=]+\)) => (?:\{\}|undefined|null|\[\]|""|0)\)/;
    const silent = files.flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .flatMap((text, i) => (swallowing.test(text) ? [{ file, line: i + 1, text }] : []))
        .filter((f) => !commentNear(f.file, f.line))
        .map(where),
    );
    expect(silent).toEqual([]);
  });

  it("no bare Error is thrown: an invariant or a coded PaulError says what it is", () => {
    const bare = files.filter((f) => /throw new Error\(/.test(readFileSync(f, "utf8")));
    expect(bare.map((f) => relative(ROOT, f))).toEqual([]);
  });
});

/** A `//` comment on the line or in the few lines above it (a statement may span several). */
function commentNear(file: string, line: number): boolean {
  const lines = readFileSync(file, "utf8").split("\n");
  return lines.slice(Math.max(0, line - 4), line).some((l) => /\/\/|^\s*\*|\/\*/.test(l));
}

function where(f: Finding): string {
  return `${relative(ROOT, f.file)}:${f.line} ${f.text.trim()}`;
}
