import { invariant } from "../errors.ts";

/**
 * The row a query always gives back: `insert … returning`, an upsert, an
 * aggregate. None is a bug in Paul (or a broken schema), never a case to handle.
 */
export function oneRow<T>(res: { rows: T[] }, what: string): T {
  const [row] = res.rows;
  invariant(row !== undefined, `${what} returned no row`);
  return row;
}
