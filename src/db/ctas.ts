import { z } from "zod";
import type { Queryable } from "./pool.ts";
import { oneRow } from "./rows.ts";

export const CTA_KINDS = ["approval", "choice", "judging_failed", "create_pr", "pause"] as const;
export type CtaKind = (typeof CTA_KINDS)[number];

export const DecisionSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("approve") }),
  z.object({
    action: z.literal("revise"),
    feedback: z.string().trim().min(1, "feedback can't be empty"),
  }),
  z.object({ action: z.literal("cancel") }),
  z.object({ action: z.literal("choose"), approach: z.number().int().min(0) }),
  z.object({ action: z.literal("regenerate"), feedback: z.string().optional() }),
  z.object({ action: z.literal("choose_another") }),
  z.object({ action: z.literal("override") }),
  z.object({ action: z.literal("retry") }),
  z.object({ action: z.literal("skip") }),
]);
export type Decision = z.infer<typeof DecisionSchema>;
export type DecisionAction = Decision["action"];

export interface CtaOption {
  action: DecisionAction;
  label: string;
  approach?: number;
}

export interface CtaRow {
  id: string;
  run_id: string;
  phase: string;
  revision: number;
  kind: CtaKind;
  prompt: string;
  options: CtaOption[];
  status: "pending" | "resolved" | "cancelled";
  decision: Decision | null;
  decided_by: string | null;
  decided_at: Date | null;
  created_at: Date;
}

export async function insertCta(
  db: Queryable,
  c: {
    runId: string;
    phase: string;
    revision: number;
    kind: CtaKind;
    prompt: string;
    options: CtaOption[];
  },
): Promise<CtaRow> {
  // A retried job must not ask the same question twice.
  const res = await db.query<CtaRow>(
    `insert into ctas (run_id, phase, revision, kind, prompt, options) values ($1,$2,$3,$4,$5,$6)
     on conflict (run_id, phase, revision, kind) do update set prompt = ctas.prompt returning *`,
    [c.runId, c.phase, c.revision, c.kind, c.prompt, JSON.stringify(c.options)],
  );
  return oneRow(res, "upsert into ctas");
}

export async function getCta(db: Queryable, id: string): Promise<CtaRow | undefined> {
  return (await db.query<CtaRow>("select * from ctas where id = $1", [id])).rows[0];
}

export async function pendingCta(db: Queryable, runId: string): Promise<CtaRow | undefined> {
  return (
    await db.query<CtaRow>("select * from ctas where run_id = $1 and status = 'pending'", [runId])
  ).rows[0];
}

export async function listCtas(db: Queryable, runId: string): Promise<CtaRow[]> {
  return (await db.query<CtaRow>("select * from ctas where run_id = $1 order by id", [runId])).rows;
}

/** The atomic step of every decision: only one caller ever gets the row back. */
export async function claimCta(
  db: Queryable,
  id: string,
  decision: Decision,
  by: string,
): Promise<CtaRow | undefined> {
  const res = await db.query<CtaRow>(
    `update ctas set status = 'resolved', decision = $2, decided_by = $3, decided_at = now()
     where id = $1 and status = 'pending' returning *`,
    [id, JSON.stringify(decision), by],
  );
  return res.rows[0];
}

export async function cancelPendingCtas(db: Queryable, runId: string): Promise<CtaRow[]> {
  return (
    await db.query<CtaRow>(
      "update ctas set status = 'cancelled', decided_at = now() where run_id = $1 and status = 'pending' returning *",
      [runId],
    )
  ).rows;
}

/** The approach the person chose most recently, if any. */
export async function chosenApproach(db: Queryable, runId: string): Promise<number | undefined> {
  const res = await db.query<{ decision: Decision }>(
    `select decision from ctas where run_id = $1 and kind = 'choice' and status = 'resolved'
       and decision->>'action' = 'choose' order by id desc limit 1`,
    [runId],
  );
  const d = res.rows[0]?.decision;
  return d?.action === "choose" ? d.approach : undefined;
}

/** How many questions a phase has asked in a run: numbers the phases that can pause. */
export async function countCtas(db: Queryable, runId: string, phase: string): Promise<number> {
  const res = await db.query<{ n: number }>(
    "select count(*)::int as n from ctas where run_id = $1 and phase = $2",
    [runId, phase],
  );
  return res.rows[0]?.n ?? 0;
}
