import { type Doc, link } from "../doc.ts";
import type { PrResult } from "./schema.ts";

export function renderPr(r: PrResult): Doc {
  if (!r.url) return { summary: [r.message], sections: [] };
  return {
    summary: [r.message.replace(r.url, "").trim().replace(/:$/, ""), ": ", link(r.url)],
    sections: [],
  };
}
