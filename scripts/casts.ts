/**
 * Counts the type assertions in Paul's source: `x as T` and `<T>x` (but not
 * `as const`, which asserts nothing) and non-null `x!`. Each one is a place
 * where the compiler takes our word for it.
 *
 *   node scripts/casts.ts          totals and per-file counts for src/
 *   node scripts/casts.ts --list   each finding as file:line
 *   node scripts/casts.ts [--list] <file or dir>...   other places
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

export type Finding = { file: string; line: number; text: string };

function isConstAssertion(type: ts.TypeNode): boolean {
  return (
    ts.isTypeReferenceNode(type) &&
    ts.isIdentifier(type.typeName) &&
    type.typeName.text === "const" &&
    type.typeArguments === undefined
  );
}

export function countCasts(files: string[]): { as: Finding[]; nonNull: Finding[] } {
  const as: Finding[] = [];
  const nonNull: Finding[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const kind = file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
    const finding = (node: ts.Node): Finding => ({
      file,
      line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
      text: node.getText(source).replace(/\s+/g, " ").slice(0, 120),
    });
    const visit = (node: ts.Node): void => {
      if (
        (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) &&
        !isConstAssertion(node.type)
      )
        as.push(finding(node));
      else if (ts.isNonNullExpression(node)) nonNull.push(finding(node));
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { as, nonNull };
}

/** The .ts files under `root` (a file is itself), sorted. */
export function tsFiles(root: string): string[] {
  if (statSync(root).isFile()) return [root];
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "sample") out.push(...tsFiles(path));
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out.sort();
}

function main(argv: string[]): void {
  const list = argv.includes("--list");
  const roots = argv.filter((a) => a !== "--list");
  const files = (roots.length > 0 ? roots : ["src"]).flatMap(tsFiles);
  const { as, nonNull } = countCasts(files);
  const show = (f: string) => relative(process.cwd(), f);
  if (list) {
    for (const f of as) console.log(`${show(f.file)}:${f.line}  as  ${f.text}`);
    for (const f of nonNull) console.log(`${show(f.file)}:${f.line}  !   ${f.text}`);
    console.log("");
  } else {
    const perFile = new Map<string, { as: number; nonNull: number }>();
    for (const f of as) {
      const c = perFile.get(f.file) ?? { as: 0, nonNull: 0 };
      c.as++;
      perFile.set(f.file, c);
    }
    for (const f of nonNull) {
      const c = perFile.get(f.file) ?? { as: 0, nonNull: 0 };
      c.nonNull++;
      perFile.set(f.file, c);
    }
    for (const [file, c] of [...perFile].sort(([a], [b]) => a.localeCompare(b)))
      console.log(
        `${String(c.as).padStart(4)} as ${String(c.nonNull).padStart(4)} !  ${show(file)}`,
      );
    console.log("");
  }
  console.log(`total: ${as.length} as, ${nonNull.length} ! in ${files.length} files`);
}

if (import.meta.filename === process.argv[1]) main(process.argv.slice(2));
