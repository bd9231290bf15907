/** The pr phase has no agent; its "prompt" is the PR text, rendered in body.ts. */
export { renderPullRequestBody, renderPullRequestTitle } from "./body.ts";
