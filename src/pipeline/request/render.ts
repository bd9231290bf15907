import { code, type Doc, type Line, link } from "../doc.ts";
import type { RequestOutput } from "./schema.ts";

const SOURCES: Record<RequestOutput["request"]["source"], string> = {
  slack: "in the Slack thread",
  github: "on the pull request",
  cli: "from the terminal",
  ci: "by a failing check",
};

export function renderRequest(o: RequestOutput): Doc {
  const r = o.request;
  const asked: Line = r.check
    ? [
        "CI repair",
        r.round ? ` (round ${r.round})` : "",
        " of ",
        code(r.check.name),
        " on ",
        code(o.branch),
      ]
    : ["Follow-up on ", code(o.branch), ` asked by ${r.author} ${SOURCES[r.source]}`];
  const comments = r.comments.map(
    (c): Line => [
      c.path
        ? code(c.line ? `${c.path}:${c.startLine ? `${c.startLine}-` : ""}${c.line}` : c.path)
        : "",
      c.path ? " " : "",
      `${c.author}: ${c.body.split("\n")[0]?.slice(0, 160) ?? ""}`,
      " ",
      link(c.url, "comment"),
    ],
  );
  return {
    summary: asked,
    sections: [
      { title: "Request", parts: [[r.text.slice(0, 600)]] },
      ...(comments.length > 0 ? [{ parts: [{ title: "Comments", items: comments }] }] : []),
      ...(r.check ? [{ parts: [[link(r.check.url, "the failing check")]] }] : []),
    ],
  };
}
