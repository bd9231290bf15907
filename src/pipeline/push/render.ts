import { code, type Doc, link } from "../doc.ts";
import type { PushResult } from "./schema.ts";

export function renderPush(r: PushResult): Doc {
  return {
    summary: [
      "Pushed ",
      code(r.commit.slice(0, 7)),
      " to ",
      code(r.branch),
      r.rebasedOnto
        ? ` (rebased onto ${r.rebasedOnto.slice(0, 7)}, which someone else pushed)`
        : "",
      ...(r.prUrl ? [": ", link(r.prUrl)] : []),
    ],
    sections: [{ parts: [[r.summary]] }],
  };
}
